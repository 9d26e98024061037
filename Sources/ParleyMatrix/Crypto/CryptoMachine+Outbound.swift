import Foundation
import ParleyCore

/// The writing half: a Megolm session per room, shared over Olm with every device that should
/// read the room, replaced when it has carried its share of messages or lived its time, and
/// whenever someone leaves; replies encrypted with it.
///
/// The connector drives it in steps, each a network round trip of its own: `devicesWithoutSession`
/// (claim a one-time key for each), `startSession` (one per device), `roomKeyMessages` (send them
/// to the devices), `confirmShared`, then `encrypt`.
extension CryptoMachine {
    /// A room's `m.room.encryption` rotation rules.
    struct RotationRules: Hashable, Sendable {
        var messages = 100
        var period: Duration = .seconds(7 * 24 * 3600)

        init(messages: Int = 100, period: Duration = .seconds(7 * 24 * 3600)) {
            self.messages = messages
            self.period = period
        }

        /// From the state event's content; absent or odd values keep the defaults.
        init(_ content: JSONValue) {
            if let messages = content["rotation_period_msgs"]?.number, messages >= 1, messages <= 10_000 { self.messages = Int(messages) }
            if let milliseconds = content["rotation_period_ms"]?.number, milliseconds >= 1, milliseconds <= 31_536_000_000 {
                period = .milliseconds(Int64(milliseconds))
            }
        }
    }

    /// A to-device message for one device: `PUT /sendToDevice/m.room.encrypted/{txn}` carries
    /// `messages[user][device] = content`.
    struct ToDevice: Hashable {
        var user: MatrixUserID
        var device: String
        var content: JSONValue
    }

    /// What keeps a reply from being encrypted yet.
    enum OutboundRefusal: Error, Hashable {
        /// The room's session must first reach these devices (`roomKeyMessages`).
        case notShared(room: MatrixRoomID)
    }

    /// The devices among `devices` that have no Olm session with the bot yet: claim a one-time
    /// key for each (`/keys/claim`) and pass it to `startSession`.
    func devicesWithoutSession(_ devices: [KnownDevices.Device]) -> [KnownDevices.Device] {
        devices.filter { !hasSession(with: $0) }
    }

    func hasSession(with device: KnownDevices.Device) -> Bool {
        !(olmSessions[device.curve25519]?.isEmpty ?? true)
    }

    /// An Olm session to `device` from a claimed one-time key, if the key carries the device's
    /// signature; false otherwise (the key is dropped, the device is left out).
    func startSession(with device: KnownDevices.Device, oneTimeKey: JSONValue) -> Bool {
        guard DeviceKeys.isSigned(oneTimeKey, by: device.user, device: device.id, key: device.ed25519),
              let key = oneTimeKey["key"]?.string,
              let session = try? OlmSession.outbound(from: account, to: device.curve25519, oneTimeKey: key)
        else { return false }
        olmSessions[device.curve25519, default: []].insert(session, at: 0)
        changedOlmSessions.insert(device.curve25519)
        return true
    }

    /// The room's current session, a new one when there is none, it has carried its messages,
    /// lived its period, or `rotate` was called (a member left).
    private func currentOutbound(in room: MatrixRoomID, rules: RotationRules, now: Duration) throws -> OutboundRoom {
        if let current = outbound[room], current.session.messageIndex < UInt32(rules.messages), now - current.created < rules.period {
            return current
        }
        let session = try MegolmOutboundSession.create()
        // The bot reads its own messages too (edits of its replies come back in syncs).
        let key = SessionKey(room: room, senderKey: identity.curve25519, sessionID: try session.id())
        inbound[key] = InboundSession(
            session: try MegolmInboundSession(sessionKey: try session.sessionKey()), sender: user, senderSigningKey: identity.ed25519)
        changedInbound.insert(key)
        let fresh = OutboundRoom(session: session, created: now)
        outbound[room] = fresh
        return fresh
    }

    /// The `m.room_key` messages that bring the room's session to each of `devices` that does not
    /// have it yet (those without an Olm session are skipped: `devicesWithoutSession`).
    func roomKeyMessages(for room: MatrixRoomID, to devices: [KnownDevices.Device], rules: RotationRules, now: Duration) throws -> [ToDevice] {
        let current = try currentOutbound(in: room, rules: rules, now: now)
        let content: JSONValue = .object([
            "algorithm": .string(Self.megolmAlgorithm), "room_id": .string(room.rawValue),
            "session_id": .string(try current.session.id()), "session_key": .string(try current.session.sessionKey()),
        ])
        return try devices.filter { !current.sharedWith.contains($0.curve25519) }.compactMap { try olmEncrypted("m.room_key", content, to: $0) }
    }

    /// A to-device `m.room.encrypted` carrying `type` and `content` to `device` over its newest
    /// Olm session, addressed (sender, recipient, keys) as the spec asks; nil without a session.
    func olmEncrypted(_ type: String, _ content: JSONValue, to device: KnownDevices.Device) throws -> ToDevice? {
        guard let session = olmSessions[device.curve25519]?.first else { return nil }
        let payload: JSONValue = .object([
            "type": .string(type), "content": content,
            "sender": .string(user.rawValue), "recipient": .string(device.user.rawValue),
            "recipient_keys": .object(["ed25519": .string(device.ed25519)]),
            "keys": .object(["ed25519": .string(identity.ed25519)]),
        ])
        let message = try session.encrypt(try CanonicalJSON.text(payload))
        changedOlmSessions.insert(device.curve25519)
        return ToDevice(user: device.user, device: device.id, content: .object([
            "algorithm": .string(Self.olmAlgorithm), "sender_key": .string(identity.curve25519),
            "ciphertext": .object([device.curve25519: .object([
                "type": .number(Double(message.kind.rawValue)), "body": .string(message.body),
            ])]),
        ]))
    }

    /// The room key reached these devices (the to-device request succeeded).
    func confirmShared(_ room: MatrixRoomID, with devices: [KnownDevices.Device]) {
        outbound[room]?.sharedWith.formUnion(devices.map(\.curve25519))
    }

    /// Someone left (or a device was removed): the next message starts a session they never get.
    func rotate(_ room: MatrixRoomID) {
        outbound[room] = nil
    }

    /// The `m.room.encrypted` content for an event of `type` with `content` in `room`, once the
    /// room's session reached every device in `readers`. `m.relates_to` stays in the clear, as
    /// the spec requires for relations (edits, replies, threads).
    func encrypt(_ type: String, _ content: JSONValue, in room: MatrixRoomID, readers: [KnownDevices.Device],
                 rules: RotationRules, now: Duration) throws -> JSONValue {
        let current = try currentOutbound(in: room, rules: rules, now: now)
        guard readers.allSatisfy({ current.sharedWith.contains($0.curve25519) }) else { throw OutboundRefusal.notShared(room: room) }
        let plaintext = try CanonicalJSON.text(.object(["type": .string(type), "content": content, "room_id": .string(room.rawValue)]))
        var encrypted: [String: JSONValue] = [
            "algorithm": .string(Self.megolmAlgorithm), "sender_key": .string(identity.curve25519),
            "ciphertext": .string(try current.session.encrypt(plaintext)),
            "session_id": .string(try current.session.id()), "device_id": .string(device),
        ]
        if let relation = content["m.relates_to"] { encrypted["m.relates_to"] = relation }
        return .object(encrypted)
    }
}
