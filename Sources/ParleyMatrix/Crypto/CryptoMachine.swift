import Foundation
import ParleyCore

/// The bot's end-to-end encryption state and rules. This part reads: to-device Olm messages
/// that carry room keys, and Megolm-encrypted room events, each checked before it is believed.
///
/// Holds libolm objects, so it is not shared: the Matrix connector's actor owns it.
final class CryptoMachine {
    static let olmAlgorithm = "m.olm.v1.curve25519-aes-sha2"
    static let megolmAlgorithm = "m.megolm.v1.aes-sha2"

    /// Why an encrypted event was not believed. Each is logged and the event dropped; the
    /// next one is handled as if this one never came.
    enum Refusal: Error, Hashable, CustomStringConvertible {
        case unknownAlgorithm(String)
        case malformed(String)
        /// The to-device message has no ciphertext for this device's key.
        case notForThisDevice
        /// From a Curve25519 key that is not a known device of its sender.
        case unknownDevice(MatrixUserID, senderKey: String)
        /// A forwarded key for a session whose sender key (and signing key) no known device has.
        case unknownOriginalSender(senderKey: String)
        /// A normal Olm message, and no session with its sender decrypts it.
        case noSession(senderKey: String)
        case undecryptable(OlmError)
        /// The decrypted payload names another recipient, sender or signing key.
        case misaddressed(String)
        /// No room key for this Megolm session yet (it may still arrive).
        case missingRoomKey(sessionID: String)
        /// A message index already seen with another event: a replay.
        case replayed(index: UInt32, of: MatrixEventID)

        var description: String {
            switch self {
            case .unknownAlgorithm(let algorithm): "unknown algorithm \(algorithm)"
            case .malformed(let what): "malformed: \(what)"
            case .notForThisDevice: "no ciphertext for this device"
            case .unknownDevice(let user, let key): "sender key \(key) is not a known device of \(user)"
            case .unknownOriginalSender(let key): "no known device has the forwarded session's keys (\(key))"
            case .noSession(let key): "no Olm session with \(key) decrypts it"
            case .undecryptable(let error): "\(error)"
            case .misaddressed(let what): "payload \(what)"
            case .missingRoomKey(let session): "no room key for session \(session) yet"
            case .replayed(let index, let event): "message index \(index) was already used by \(event)"
            }
        }
    }

    /// A room key taken in: the room and session it opens.
    struct RoomKey: Hashable {
        var room: MatrixRoomID
        var sessionID: String
        var sender: MatrixUserID
    }

    /// A decrypted room event: its clear type and content, and the device that sent it.
    struct Decrypted: Hashable {
        var type: String
        var content: JSONValue
        var device: KnownDevices.Device?
    }

    struct SessionKey: Hashable {
        var room: MatrixRoomID
        var senderKey: String
        var sessionID: String
    }

    struct InboundSession {
        var session: MegolmInboundSession
        /// Who shared it: only their events decrypt with it.
        var sender: MatrixUserID
        /// The Ed25519 key of the device that shared it (from the Olm payload's `keys`).
        var senderSigningKey: String
        /// Message indices decrypted so far, with their event: a second event on an index is a replay.
        var seen: [UInt32: MatrixEventID] = [:]
        /// The key backup version it was last uploaded to.
        var backedUpIn: String?
    }

    /// The session the bot encrypts a room's messages with, and the devices it reached.
    struct OutboundRoom {
        var session: MegolmOutboundSession
        var created: Duration
        /// The Curve25519 keys of the devices the session was shared with.
        var sharedWith: Set<String> = []
    }

    let user: MatrixUserID
    let device: String
    let account: OlmAccount
    let identity: OlmAccount.IdentityKeys
    var identityKeys: OlmAccount.IdentityKeys { identity }
    var devices = KnownDevices()
    /// Olm sessions by the other side's Curve25519 key, newest first.
    var olmSessions: [String: [OlmSession]] = [:]
    var inbound: [SessionKey: InboundSession] = [:]
    /// Not kept across restarts: a restart starts a new session and shares it again.
    var outbound: [MatrixRoomID: OutboundRoom] = [:]
    /// Megolm sessions whose key this device asked its other devices for (not kept across restarts).
    var requestedKeys: Set<String> = []
    /// What changed since the last `changes(pickledWith:)`: the store is written from these.
    private var accountChanged = false
    var changedOlmSessions: Set<String> = []
    var changedInbound: Set<SessionKey> = []

    init(account: OlmAccount, user: MatrixUserID, device: String) throws {
        self.account = account
        self.user = user
        self.device = device
        identity = try account.identityKeys()
    }

    /// A new device: a fresh account, to be stored and its keys uploaded.
    static func create(user: MatrixUserID, device: String) throws -> CryptoMachine {
        let machine = try CryptoMachine(account: try OlmAccount.create(), user: user, device: device)
        machine.accountChanged = true
        return machine
    }

    // MARK: - To-device

    /// Takes in an `m.room.encrypted` to-device event; returns the room key it carried (`m.room_key`,
    /// or an `m.forwarded_room_key` this device asked for), or nil for another payload.
    func receiveToDevice(sender: MatrixUserID, content: JSONValue) throws(Refusal) -> RoomKey? {
        guard let algorithm = content["algorithm"]?.string else { throw .malformed("no algorithm") }
        guard algorithm == Self.olmAlgorithm else { throw .unknownAlgorithm(algorithm) }
        guard let senderKey = content["sender_key"]?.string else { throw .malformed("no sender_key") }
        guard let mine = content["ciphertext"]?[identity.curve25519] else { throw .notForThisDevice }
        guard let type = mine["type"]?.number.flatMap({ Int(exactly: $0) }), let kind = OlmSession.Message.Kind(rawValue: type),
              let body = mine["body"]?.string
        else { throw .malformed("ciphertext type or body") }
        // Only devices the sender's own signed keys list; a key nobody vouched for is not believed.
        guard let sendingDevice = devices.device(of: sender, curve25519: senderKey) else {
            throw .unknownDevice(sender, senderKey: senderKey)
        }
        let plaintext = try decryptOlm(OlmSession.Message(kind: kind, body: body), from: senderKey)
        guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(plaintext.utf8)) else {
            throw .malformed("the decrypted payload is not JSON")
        }
        guard payload["sender"]?.string == sender.rawValue else { throw .misaddressed("sender is not \(sender)") }
        guard payload["recipient"]?.string == user.rawValue else { throw .misaddressed("recipient is not this bot") }
        guard payload["recipient_keys"]?["ed25519"]?.string == identity.ed25519 else {
            throw .misaddressed("recipient key is not this device's")
        }
        guard payload["keys"]?["ed25519"]?.string == sendingDevice.ed25519 else {
            throw .misaddressed("signing key is not the sending device's")
        }
        switch payload["type"]?.string {
        case "m.room_key":
            return try takeRoomKey(payload["content"] ?? .null, sender: sender, senderKey: senderKey, signingKey: sendingDevice.ed25519)
        case "m.forwarded_room_key":
            return try takeForwardedKey(payload["content"] ?? .null, sender: sender)
        default:
            return nil
        }
    }

    private func decryptOlm(_ message: OlmSession.Message, from senderKey: String) throws(Refusal) -> String {
        for session in olmSessions[senderKey] ?? [] {
            if message.kind == .preKey, (try? session.matches(preKeyMessage: message.body, from: senderKey)) != true { continue }
            if let plaintext = try? session.decrypt(message) {
                changedOlmSessions.insert(senderKey)  // its ratchet moved
                return plaintext
            }
        }
        guard message.kind == .preKey else { throw .noSession(senderKey: senderKey) }
        do {
            let session = try OlmSession.inbound(to: account, from: senderKey, preKeyMessage: message.body)
            let plaintext = try session.decrypt(message)
            try account.removeOneTimeKeys(usedBy: session)
            accountChanged = true
            olmSessions[senderKey, default: []].insert(session, at: 0)
            changedOlmSessions.insert(senderKey)
            return plaintext
        } catch {
            throw .undecryptable(error)
        }
    }

    private func takeRoomKey(_ content: JSONValue, sender: MatrixUserID, senderKey: String, signingKey: String) throws(Refusal) -> RoomKey {
        guard let algorithm = content["algorithm"]?.string else { throw .malformed("room key without algorithm") }
        guard algorithm == Self.megolmAlgorithm else { throw .unknownAlgorithm(algorithm) }
        guard let room = content["room_id"]?.string, let sessionID = content["session_id"]?.string,
              let sessionKey = content["session_key"]?.string
        else { throw .malformed("room key without room_id, session_id or session_key") }
        let session = try inboundSession(sessionKey, exported: false, named: sessionID, "the room key")
        return keep(session, as: SessionKey(room: MatrixRoomID(room), senderKey: senderKey, sessionID: sessionID), sender: sender, signingKey: signingKey)
    }

    /// The Megolm session a key opens (`exported`: from a backup or a forwarded key, not signed
    /// by its sender), refused unless it is the session `sessionID` names.
    func inboundSession(_ key: String, exported: Bool, named sessionID: String, _ what: String) throws(Refusal) -> MegolmInboundSession {
        let session: MegolmInboundSession
        do {
            session = exported ? try MegolmInboundSession(exportedKey: key) : try MegolmInboundSession(sessionKey: key)
        } catch {
            throw .undecryptable(error)
        }
        guard (try? session.id()) == sessionID else { throw .misaddressed("\(what) is for another session") }
        return session
    }

    /// Keeps an inbound session under `key`: one that reaches further back replaces one that
    /// starts later, never the reverse; the message indices seen so far stay.
    func keep(
        _ session: MegolmInboundSession, as key: SessionKey, sender: MatrixUserID, signingKey: String, backedUpIn: String? = nil
    ) -> RoomKey {
        let roomKey = RoomKey(room: key.room, sessionID: key.sessionID, sender: sender)
        if let known = inbound[key], known.session.firstKnownIndex <= session.firstKnownIndex { return roomKey }
        inbound[key] = InboundSession(
            session: session, sender: sender, senderSigningKey: signingKey, seen: inbound[key]?.seen ?? [:], backedUpIn: backedUpIn)
        changedInbound.insert(key)
        return roomKey
    }

    // MARK: - Room events

    /// The clear event inside an `m.room.encrypted` room event.
    func decrypt(_ event: MatrixEvent, in room: MatrixRoomID) throws(Refusal) -> Decrypted {
        let content = event.content
        guard let algorithm = content["algorithm"]?.string else { throw .malformed("no algorithm") }
        guard algorithm == Self.megolmAlgorithm else { throw .unknownAlgorithm(algorithm) }
        guard let senderKey = content["sender_key"]?.string, let sessionID = content["session_id"]?.string,
              let ciphertext = content["ciphertext"]?.string
        else { throw .malformed("sender_key, session_id or ciphertext missing") }
        let key = SessionKey(room: room, senderKey: senderKey, sessionID: sessionID)
        guard var known = inbound[key] else { throw .missingRoomKey(sessionID: sessionID) }
        // Someone else's session under this sender's name: their message passed off as this one's.
        guard known.sender == event.sender else { throw .misaddressed("the session belongs to \(known.sender), not \(event.sender)") }
        let (plaintext, index): (String, UInt32)
        do {
            (plaintext, index) = try known.session.decrypt(ciphertext)
        } catch {
            throw .undecryptable(error)
        }
        let eventID = event.eventID ?? MatrixEventID("")
        if let first = known.seen[index], first != eventID { throw .replayed(index: index, of: first) }
        if known.seen[index] == nil {
            known.seen[index] = eventID
            inbound[key] = known
            changedInbound.insert(key)
        }
        guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(plaintext.utf8)),
              let type = payload["type"]?.string, let clear = payload["content"]
        else { throw .malformed("the decrypted event is not an event") }
        guard payload["room_id"]?.string == room.rawValue else { throw .misaddressed("room is not \(room)") }
        return Decrypted(type: type, content: clear, device: devices.device(of: event.sender, curve25519: senderKey))
    }

    // MARK: - Keys to publish

    /// The body of the next `/keys/upload`, or nil when nothing needs publishing: the device keys
    /// once, one-time keys topped up to half of what the account holds (the server has
    /// `serverCount`), and a fallback key when the server has none unused.
    func keysToUpload(serverCount: Int, hasFallbackKey: Bool, includeDeviceKeys: Bool) throws -> JSONValue? {
        let target = account.maxOneTimeKeys / 2
        if serverCount < target {
            try account.generateOneTimeKeys(target - serverCount)
            accountChanged = true
        }
        if !hasFallbackKey, try account.unpublishedFallbackKey().isEmpty {
            try account.generateFallbackKey()
            accountChanged = true
        }
        let body = try DeviceKeys.upload(from: account, user: user, device: device, includeDeviceKeys: includeDeviceKeys)
        return body == .object([:]) ? nil : body
    }

    /// After a successful upload: what was in it is not handed out again.
    func markKeysPublished() {
        account.markKeysAsPublished()
        accountChanged = true
    }

    // MARK: - Keeping it

    /// The records that changed since the last call, their pickles locked with `key`.
    func changes(pickledWith key: PickleKey) throws -> [CryptoRecord] {
        var records: [CryptoRecord] = []
        if accountChanged {
            records.append(CryptoRecord(kind: .account, key: device, value: try account.pickle(key: key)))
        }
        for senderKey in changedOlmSessions.sorted() {
            let pickles = try (olmSessions[senderKey] ?? []).map { try $0.pickle(key: key) }
            records.append(CryptoRecord(kind: .olmSessions, key: senderKey, value: JSONValue.array(pickles.map(JSONValue.string)).compactText))
        }
        for sessionKey in changedInbound {
            guard let known = inbound[sessionKey] else { continue }
            let value: JSONValue = .object([
                "room": .string(sessionKey.room.rawValue), "sender_key": .string(sessionKey.senderKey),
                "session_id": .string(sessionKey.sessionID), "sender": .string(known.sender.rawValue),
                "signing_key": .string(known.senderSigningKey), "pickle": .string(try known.session.pickle(key: key)),
                "seen": .object(Dictionary(uniqueKeysWithValues: known.seen.map { ("\($0.key)", JSONValue.string($0.value.rawValue)) })),
                "backup": known.backedUpIn.map(JSONValue.string) ?? .null,
            ])
            records.append(CryptoRecord(
                kind: .inboundGroupSession, key: "\(sessionKey.room) \(sessionKey.senderKey) \(sessionKey.sessionID)", value: value.compactText))
        }
        accountChanged = false
        changedOlmSessions = []
        changedInbound = []
        return records
    }

    /// The machine the records of `device` describe; nil when they hold no account for it (a new
    /// device). A record that does not open with `key` fails the whole restore: a wrong pickle
    /// key must be said, not papered over with a new device.
    static func restore(from records: [CryptoRecord], key: PickleKey, user: MatrixUserID, device: String) throws -> CryptoMachine? {
        guard let accountRecord = records.first(where: { $0.kind == .account && $0.key == device }), let pickle = accountRecord.value else {
            return nil
        }
        let machine = try CryptoMachine(account: try OlmAccount(pickle: pickle, key: key), user: user, device: device)
        for record in records {
            guard let value = record.value, let json = try? JSONDecoder().decode(JSONValue.self, from: Data(value.utf8)) else { continue }
            switch record.kind {
            case .account:
                continue
            case .olmSessions:
                machine.olmSessions[record.key] = try (json.array ?? []).compactMap(\.string).map { try OlmSession(pickle: $0, key: key) }
            case .inboundGroupSession:
                guard let room = json["room"]?.string, let senderKey = json["sender_key"]?.string, let sessionID = json["session_id"]?.string,
                      let sender = json["sender"]?.string, let signingKey = json["signing_key"]?.string, let pickle = json["pickle"]?.string
                else { continue }
                var seen: [UInt32: MatrixEventID] = [:]
                if case .object(let entries)? = json["seen"] {
                    for (index, event) in entries {
                        if let index = UInt32(index), let event = event.string { seen[index] = MatrixEventID(event) }
                    }
                }
                machine.inbound[SessionKey(room: MatrixRoomID(room), senderKey: senderKey, sessionID: sessionID)] = InboundSession(
                    session: try MegolmInboundSession(pickle: pickle, key: key), sender: MatrixUserID(sender),
                    senderSigningKey: signingKey, seen: seen, backedUpIn: json["backup"]?.string)
            }
        }
        return machine
    }
}
