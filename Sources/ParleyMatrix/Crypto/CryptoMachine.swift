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

    private struct SessionKey: Hashable {
        var room: MatrixRoomID
        var senderKey: String
        var sessionID: String
    }

    private struct InboundSession {
        var session: MegolmInboundSession
        /// Who shared it: only their events decrypt with it.
        var sender: MatrixUserID
        /// The Ed25519 key of the device that shared it (from the Olm payload's `keys`).
        var senderSigningKey: String
        /// Message indices decrypted so far, with their event: a second event on an index is a replay.
        var seen: [UInt32: MatrixEventID] = [:]
    }

    let user: MatrixUserID
    let device: String
    private let account: OlmAccount
    private let identity: OlmAccount.IdentityKeys
    var devices = KnownDevices()
    /// Olm sessions by the other side's Curve25519 key, newest first.
    private var olmSessions: [String: [OlmSession]] = [:]
    private var inbound: [SessionKey: InboundSession] = [:]

    init(account: OlmAccount, user: MatrixUserID, device: String) throws {
        self.account = account
        self.user = user
        self.device = device
        identity = try account.identityKeys()
    }

    // MARK: - To-device

    /// Takes in an `m.room.encrypted` to-device event; returns the room key it carried, or nil
    /// for another payload (which this part does not act on yet).
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
        guard payload["type"]?.string == "m.room_key" else { return nil }
        return try takeRoomKey(payload["content"] ?? .null, sender: sender, senderKey: senderKey, signingKey: sendingDevice.ed25519)
    }

    private func decryptOlm(_ message: OlmSession.Message, from senderKey: String) throws(Refusal) -> String {
        for session in olmSessions[senderKey] ?? [] {
            if message.kind == .preKey, (try? session.matches(preKeyMessage: message.body, from: senderKey)) != true { continue }
            if let plaintext = try? session.decrypt(message) { return plaintext }
        }
        guard message.kind == .preKey else { throw .noSession(senderKey: senderKey) }
        do {
            let session = try OlmSession.inbound(to: account, from: senderKey, preKeyMessage: message.body)
            let plaintext = try session.decrypt(message)
            try account.removeOneTimeKeys(usedBy: session)
            olmSessions[senderKey, default: []].insert(session, at: 0)
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
        let key = SessionKey(room: MatrixRoomID(room), senderKey: senderKey, sessionID: sessionID)
        let session: MegolmInboundSession
        do {
            session = try MegolmInboundSession(sessionKey: sessionKey)
        } catch {
            throw .undecryptable(error)
        }
        guard (try? session.id()) == sessionID else { throw .misaddressed("session key does not match session_id") }
        // A key that reaches further back replaces one that starts later; never the reverse.
        if let known = inbound[key], known.session.firstKnownIndex <= session.firstKnownIndex {
            return RoomKey(room: key.room, sessionID: sessionID, sender: sender)
        }
        inbound[key] = InboundSession(session: session, sender: sender, senderSigningKey: signingKey, seen: inbound[key]?.seen ?? [:])
        return RoomKey(room: key.room, sessionID: sessionID, sender: sender)
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
        known.seen[index] = eventID
        inbound[key] = known
        guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(plaintext.utf8)),
              let type = payload["type"]?.string, let clear = payload["content"]
        else { throw .malformed("the decrypted event is not an event") }
        guard payload["room_id"]?.string == room.rawValue else { throw .misaddressed("room is not \(room)") }
        return Decrypted(type: type, content: clear, device: devices.device(of: event.sender, curve25519: senderKey))
    }
}
