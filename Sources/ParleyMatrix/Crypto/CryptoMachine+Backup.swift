import Foundation
import ParleyCore

/// The server-side key backup (`m.megolm_backup.v1.curve25519-aes-sha2`): every room key the bot
/// is given goes up encrypted to the backup's public key; a message whose key never came to this
/// device (a re-installed bot, a client that did not know the new device yet) is read with the
/// key brought back from the backup — believed only when it names a device its sender vouches
/// for, as a room key sent directly is.
extension CryptoMachine {
    static let backupAlgorithm = "m.megolm_backup.v1.curve25519-aes-sha2"

    /// The `auth_data` of a new backup version: its public key, signed by this device.
    func backupAuthData(_ key: BackupKey) throws -> JSONValue {
        try DeviceKeys.signed(.object(["public_key": .string(key.publicKey)]), by: account, user: user, device: device)
    }

    /// Whether a backup version the server has is one `key` opens (its algorithm and public key).
    static func backupMatches(_ version: JSONValue, _ key: BackupKey) -> Bool {
        version["algorithm"]?.string == backupAlgorithm && version["auth_data"]?["public_key"]?.string == key.publicKey
    }

    /// The body of a `PUT /room_keys/keys` with up to `limit` room keys not yet in `version`, and
    /// which they are; nil when every key is there.
    func keysToBackUp(in version: String, with key: BackupKey, limit: Int = 100) throws -> (body: JSONValue, sessions: [SessionKey])? {
        let pending = inbound.filter { $0.value.backedUpIn != version }.keys
            .sorted { ($0.room.rawValue, $0.sessionID) < ($1.room.rawValue, $1.sessionID) }.prefix(limit)
        guard !pending.isEmpty else { return nil }
        var rooms: [String: [String: JSONValue]] = [:]
        for sessionKey in pending {
            guard let known = inbound[sessionKey] else { continue }
            let index = known.session.firstKnownIndex
            let plaintext: JSONValue = .object([
                "algorithm": .string(Self.megolmAlgorithm),
                "sender_key": .string(sessionKey.senderKey),
                "session_key": .string(try known.session.export(at: index)),
                "sender_claimed_keys": .object(["ed25519": .string(known.senderSigningKey)]),
                "forwarding_curve25519_key_chain": .array([]),
            ])
            rooms[sessionKey.room.rawValue, default: [:]][sessionKey.sessionID] = .object([
                "first_message_index": .number(Double(index)),
                "forwarded_count": .number(0),
                "is_verified": .bool(false),
                "session_data": try key.encrypt(plaintext.compactText).json,
            ])
        }
        let body: JSONValue = .object(["rooms": .object(rooms.mapValues { .object(["sessions": .object($0)]) })])
        return (body, Array(pending))
    }

    /// After the server took them.
    func markBackedUp(_ sessions: [SessionKey], in version: String) {
        for sessionKey in sessions where inbound[sessionKey] != nil {
            inbound[sessionKey]?.backedUpIn = version
            changedInbound.insert(sessionKey)
        }
    }

    /// Takes in a room key from the backup (`KeyBackupData`) for a message `sender` sent in `room`
    /// with Megolm session `sessionID`; returns the key it opened.
    func restore(
        fromBackup data: JSONValue, version: String, with key: BackupKey, room: MatrixRoomID, sessionID: String, sender: MatrixUserID
    ) throws(Refusal) -> RoomKey {
        guard let sealed = BackupKey.Sealed(data["session_data"]) else { throw .malformed("backup entry without session_data") }
        let plaintext: String
        do {
            plaintext = try key.decrypt(sealed)
        } catch {
            throw .undecryptable(error)
        }
        guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(plaintext.utf8)) else {
            throw .malformed("the backed-up key is not JSON")
        }
        guard let algorithm = payload["algorithm"]?.string else { throw .malformed("backed-up key without algorithm") }
        guard algorithm == Self.megolmAlgorithm else { throw .unknownAlgorithm(algorithm) }
        guard let senderKey = payload["sender_key"]?.string, let exported = payload["session_key"]?.string,
              let claimed = payload["sender_claimed_keys"]?["ed25519"]?.string
        else { throw .malformed("backed-up key without sender_key, session_key or sender_claimed_keys") }
        guard let device = devices.device(of: sender, curve25519: senderKey) else { throw .unknownDevice(sender, senderKey: senderKey) }
        guard device.ed25519 == claimed else { throw .misaddressed("the backed-up key's signing key is not \(sender)'s device's") }
        let session = try inboundSession(exported, exported: true, named: sessionID, "the backed-up key")
        return keep(session, as: SessionKey(room: room, senderKey: senderKey, sessionID: sessionID), sender: sender,
                    signingKey: claimed, backedUpIn: version)
    }
}
