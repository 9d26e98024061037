import Foundation
import ParleyCore

/// Room key requests (`m.room_key_request`) and forwarded keys (`m.forwarded_room_key`): another
/// device of the bot's own account that lacks a key is sent it, over Olm; the bot asks for a key
/// that never came, and takes a forwarded one only from its own devices and only when it asked.
/// Anyone else's request is ignored: a person's device gets keys from the people who sent them.
extension CryptoMachine {
    /// What to do with a room key request.
    enum KeyRequestAnswer: Equatable {
        /// Send `content` as `m.forwarded_room_key` to `device` (over Olm; start a session first
        /// when there is none).
        case forward(to: KnownDevices.Device, content: JSONValue)
        /// Nothing; the reason is logged.
        case ignore(String)
    }

    /// The answer to an `m.room_key_request` to-device event from `sender`.
    func answer(keyRequest content: JSONValue, from sender: MatrixUserID) -> KeyRequestAnswer {
        guard content["action"]?.string == "request" else { return .ignore("not a request (\(content["action"]?.string ?? "no action"))") }
        guard sender == user else { return .ignore("from another account (\(sender)): only the bot's own devices are sent its keys") }
        guard let requester = content["requesting_device_id"]?.string else { return .ignore("no requesting_device_id") }
        guard requester != device else { return .ignore("from this device") }
        guard let target = devices.devices(of: user).first(where: { $0.id == requester }) else {
            return .ignore("device \(requester) has not published self-signed keys")
        }
        let body = content["body"]
        guard body?["algorithm"]?.string == Self.megolmAlgorithm, let room = body?["room_id"]?.string,
              let senderKey = body?["sender_key"]?.string, let sessionID = body?["session_id"]?.string
        else { return .ignore("not a Megolm key request") }
        guard let known = inbound[SessionKey(room: MatrixRoomID(room), senderKey: senderKey, sessionID: sessionID)],
              let exported = try? known.session.export(at: known.session.firstKnownIndex)
        else { return .ignore("this device does not have that key") }
        return .forward(to: target, content: .object([
            "algorithm": .string(Self.megolmAlgorithm), "room_id": .string(room), "sender_key": .string(senderKey),
            "session_id": .string(sessionID), "session_key": .string(exported),
            "sender_claimed_ed25519_key": .string(known.senderSigningKey),
            "forwarding_curve25519_key_chain": .array([]),
        ]))
    }

    /// An `m.room_key_request` for the Megolm session of `event` (an encrypted room event), to
    /// send to the bot's other devices and the sender's; remembered, so that a forwarded key
    /// that answers it is taken. Nil when the event names no session.
    func keyRequest(for event: MatrixEvent, in room: MatrixRoomID) -> JSONValue? {
        guard let senderKey = event.content["sender_key"]?.string, let sessionID = event.content["session_id"]?.string else { return nil }
        requestedKeys.insert(sessionID)
        return .object([
            "action": .string("request"), "requesting_device_id": .string(device),
            "request_id": .string("parley.\(sessionID.prefix(16)).\(UUID().uuidString.prefix(8))"),
            "body": .object([
                "algorithm": .string(Self.megolmAlgorithm), "room_id": .string(room.rawValue),
                "sender_key": .string(senderKey), "session_id": .string(sessionID),
            ]),
        ])
    }

    /// Takes in the content of an `m.forwarded_room_key` that came over Olm from `sender`: only from the bot's own account, only for a key it asked for, and only for
    /// a session whose original sender is a device someone vouches for.
    func takeForwardedKey(_ content: JSONValue, sender: MatrixUserID) throws(Refusal) -> RoomKey {
        guard sender == user else { throw .misaddressed("a forwarded key from another account (\(sender))") }
        guard content["algorithm"]?.string == Self.megolmAlgorithm else {
            throw .unknownAlgorithm(content["algorithm"]?.string ?? "none")
        }
        guard let room = content["room_id"]?.string, let senderKey = content["sender_key"]?.string,
              let sessionID = content["session_id"]?.string, let exported = content["session_key"]?.string,
              let claimed = content["sender_claimed_ed25519_key"]?.string
        else { throw .malformed("forwarded key without room_id, sender_key, session_id, session_key or sender_claimed_ed25519_key") }
        guard requestedKeys.contains(sessionID) else { throw .misaddressed("a forwarded key this device did not ask for") }
        guard let original = devices.device(curve25519: senderKey), original.ed25519 == claimed else {
            throw .unknownOriginalSender(senderKey: senderKey)
        }
        let session = try inboundSession(exported, exported: true, named: sessionID, "the forwarded key")
        requestedKeys.remove(sessionID)
        return keep(session, as: SessionKey(room: MatrixRoomID(room), senderKey: senderKey, sessionID: sessionID),
                    sender: original.user, signingKey: claimed)
    }
}
