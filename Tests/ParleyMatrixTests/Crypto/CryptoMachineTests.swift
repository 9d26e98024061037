import Foundation
@testable import ParleyMatrix
import ParleyCore
import Testing

/// The bot's crypto machine against a person's device simulated with libolm: what a real client
/// sends, and what a hostile one might.
@Suite struct CryptoMachineTests {
    static let bot: MatrixUserID = "@parley:example.org"
    static let alice: MatrixUserID = "@alice:example.org"
    static let mallory: MatrixUserID = "@mallory:example.org"
    static let room: MatrixRoomID = "!room:example.org"

    /// A person's device: its account, its signed device keys, an Olm session to the bot.
    final class PersonDevice {
        let user: MatrixUserID
        let id: String
        let account: OlmAccount
        let keys: OlmAccount.IdentityKeys
        var toBot: OlmSession?
        let megolm: MegolmOutboundSession

        init(_ user: MatrixUserID, id: String) throws {
            self.user = user
            self.id = id
            account = try OlmAccount.create()
            keys = try account.identityKeys()
            megolm = try MegolmOutboundSession.create()
        }

        var deviceKeys: JSONValue {
            get throws { try #require(try DeviceKeys.upload(from: account, user: user, device: id, includeDeviceKeys: true)["device_keys"]) }
        }

        /// The `m.room.encrypted` to-device content carrying `type` and `content` to the bot.
        func toDevice(_ type: String, _ content: JSONValue, to machine: CryptoMachine, botAccount: OlmAccount,
                      sender: MatrixUserID? = nil, recipient: MatrixUserID = CryptoMachineTests.bot) throws -> JSONValue {
            if toBot == nil {
                try botAccount.generateOneTimeKeys(1)
                let oneTimeKey = try #require(try botAccount.oneTimeKeys().values.first)
                botAccount.markKeysAsPublished()
                toBot = try OlmSession.outbound(from: account, to: try botAccount.identityKeys().curve25519, oneTimeKey: oneTimeKey)
            }
            let payload: JSONValue = .object([
                "type": .string(type), "content": content,
                "sender": .string((sender ?? user).rawValue), "recipient": .string(recipient.rawValue),
                "recipient_keys": .object(["ed25519": .string(try botAccount.identityKeys().ed25519)]),
                "keys": .object(["ed25519": .string(keys.ed25519)]),
            ])
            let message = try toBot!.encrypt(payload.compactText)
            return .object([
                "algorithm": .string(CryptoMachine.olmAlgorithm), "sender_key": .string(keys.curve25519),
                "ciphertext": .object([try botAccount.identityKeys().curve25519: .object([
                    "type": .number(Double(message.kind.rawValue)), "body": .string(message.body),
                ])]),
            ])
        }

        func roomKey(for room: MatrixRoomID) throws -> JSONValue {
            .object([
                "algorithm": .string(CryptoMachine.megolmAlgorithm), "room_id": .string(room.rawValue),
                "session_id": .string(try megolm.id()), "session_key": .string(try megolm.sessionKey()),
            ])
        }

        /// An `m.room.encrypted` room event with `text`, as this device sends it.
        func message(_ text: String, id: String, in room: MatrixRoomID = CryptoMachineTests.room, sender: MatrixUserID? = nil) throws -> MatrixEvent {
            let clear: JSONValue = .object([
                "type": .string("m.room.message"), "room_id": .string(room.rawValue),
                "content": .object(["msgtype": .string("m.text"), "body": .string(text)]),
            ])
            return MatrixEvent(type: "m.room.encrypted", eventID: MatrixEventID(id), sender: sender ?? user, content: .object([
                "algorithm": .string(CryptoMachine.megolmAlgorithm), "sender_key": .string(keys.curve25519),
                "session_id": .string(try megolm.id()), "device_id": .string(self.id),
                "ciphertext": .string(try megolm.encrypt(clear.compactText)),
            ]))
        }
    }

    let botAccount: OlmAccount
    let machine: CryptoMachine
    let alice: PersonDevice

    init() throws {
        botAccount = try OlmAccount.create()
        machine = try CryptoMachine(account: botAccount, user: Self.bot, device: "PARLEY")
        alice = try PersonDevice(Self.alice, id: "ALICEPHONE")
        machine.devices.update(Self.alice, from: .object([alice.id: try alice.deviceKeys]))
    }

    func body(_ decrypted: CryptoMachine.Decrypted) -> String? { decrypted.content["body"]?.string }

    @Test func aRoomKeyFromAKnownDeviceOpensItsMessagesAndALateKeyOpensTheOnesBeforeIt() throws {
        // The key is made before the message, as a client does, but reaches the bot after it.
        let roomKey = try alice.roomKey(for: Self.room)
        let early = try alice.message("sent before the key arrived", id: "$early")
        #expect(throws: CryptoMachine.Refusal.missingRoomKey(sessionID: try alice.megolm.id())) { try machine.decrypt(early, in: Self.room) }

        let key = try machine.receiveToDevice(sender: Self.alice, content: try alice.toDevice("m.room_key", roomKey, to: machine, botAccount: botAccount))
        #expect(key == CryptoMachine.RoomKey(room: Self.room, sessionID: try alice.megolm.id(), sender: Self.alice))
        let decrypted = try machine.decrypt(early, in: Self.room)
        #expect(body(decrypted) == "sent before the key arrived" && decrypted.type == "m.room.message")
        #expect(decrypted.device?.id == "ALICEPHONE")
        #expect(body(try machine.decrypt(try alice.message("and after", id: "$after"), in: Self.room)) == "and after")
    }

    @Test func hostileRoomEventsAreRefusedAndTheNextOneIsRead() throws {
        _ = try machine.receiveToDevice(sender: Self.alice, content: try alice.toDevice("m.room_key", try alice.roomKey(for: Self.room), to: machine, botAccount: botAccount))

        // Bad ciphertext.
        var tampered = try alice.message("tampered", id: "$t")
        var ciphertext = Array(tampered.content["ciphertext"]?.string ?? "")
        ciphertext[ciphertext.count / 2] = ciphertext[ciphertext.count / 2] == "A" ? "B" : "A"
        tampered.content = .object((tampered.content.objectMembers).merging(["ciphertext": .string(String(ciphertext))]) { $1 })
        #expect(throws: CryptoMachine.Refusal.self) { try machine.decrypt(tampered, in: Self.room) }

        // A replayed message index under another event id; the same event delivered again is fine.
        let original = try alice.message("once", id: "$once")
        _ = try machine.decrypt(original, in: Self.room)
        _ = try machine.decrypt(original, in: Self.room)
        var replay = original
        replay.eventID = "$replay"
        #expect(throws: CryptoMachine.Refusal.replayed(index: 1, of: "$once")) { try machine.decrypt(replay, in: Self.room) }

        // Alice's session under Mallory's name.
        #expect(throws: CryptoMachine.Refusal.self) { try machine.decrypt(try alice.message("passed off", id: "$m", sender: Self.mallory), in: Self.room) }
        // Moved to another room.
        #expect(throws: CryptoMachine.Refusal.self) { try machine.decrypt(try alice.message("elsewhere", id: "$e", in: "!other:example.org"), in: Self.room) }
        // An algorithm the bot does not speak, and a malformed event.
        var foreign = try alice.message("x", id: "$x")
        foreign.content = .object(foreign.content.objectMembers.merging(["algorithm": .string("m.megolm.v2.aes-sha2")]) { $1 })
        #expect(throws: CryptoMachine.Refusal.unknownAlgorithm("m.megolm.v2.aes-sha2")) { try machine.decrypt(foreign, in: Self.room) }
        let empty = MatrixEvent(type: "m.room.encrypted", eventID: "$empty", sender: Self.alice, content: .object([:]))
        #expect(throws: CryptoMachine.Refusal.malformed("no algorithm")) { try machine.decrypt(empty, in: Self.room) }

        #expect(body(try machine.decrypt(try alice.message("still read", id: "$next"), in: Self.room)) == "still read")
    }

    @Test func aRestoredMachineIsTheSameDeviceWithItsSessionsAndItsMemoryOfIndices() throws {
        let key = PickleKey(Array("the configured crypto_pickle_key".utf8))
        _ = try machine.receiveToDevice(sender: Self.alice, content: try alice.toDevice("m.room_key", try alice.roomKey(for: Self.room), to: machine, botAccount: botAccount))
        let first = try alice.message("before the restart", id: "$before")
        _ = try machine.decrypt(first, in: Self.room)
        let records = try machine.changes(pickledWith: key)
        #expect(Set(records.map(\.kind)) == [.account, .olmSessions, .inboundGroupSession])
        #expect(try machine.changes(pickledWith: key).isEmpty, "nothing changed since")
        #expect(!records.contains { $0.value?.contains("before the restart") == true }, "no clear text is kept")

        let restored = try #require(try CryptoMachine.restore(from: records, key: key, user: Self.bot, device: "PARLEY"))
        restored.devices = machine.devices
        #expect(body(try restored.decrypt(try alice.message("after it", id: "$after"), in: Self.room)) == "after it")
        var replay = first
        replay.eventID = "$replayed-after-restart"
        #expect(throws: CryptoMachine.Refusal.replayed(index: 0, of: "$before")) { try restored.decrypt(replay, in: Self.room) }
        // Alice's Olm session goes on too: a second room key over it.
        let rotated = try MegolmOutboundSession.create()
        let content: JSONValue = .object([
            "algorithm": .string(CryptoMachine.megolmAlgorithm), "room_id": .string(Self.room.rawValue),
            "session_id": .string(try rotated.id()), "session_key": .string(try rotated.sessionKey()),
        ])
        #expect(try restored.receiveToDevice(sender: Self.alice, content: try alice.toDevice("m.room_key", content, to: restored, botAccount: botAccount)) != nil)

        #expect(try CryptoMachine.restore(from: records, key: key, user: Self.bot, device: "ANOTHER") == nil, "another device starts afresh")
        #expect(throws: OlmError.self) { _ = try CryptoMachine.restore(from: records, key: PickleKey(Array("wrong".utf8)), user: Self.bot, device: "PARLEY") }
    }

    @Test func keysAreToppedUpToHalfTheAccountAndPublishedOnce() throws {
        let fresh = try CryptoMachine.create(user: Self.bot, device: "NEW")
        let first = try #require(try fresh.keysToUpload(serverCount: 0, hasFallbackKey: false, includeDeviceKeys: true))
        guard case .object(let oneTimeKeys) = first["one_time_keys"] else { Issue.record("no one-time keys"); return }
        #expect(oneTimeKeys.count == botAccount.maxOneTimeKeys / 2)
        #expect(first["device_keys"] != nil && first["fallback_keys"] != nil)
        fresh.markKeysPublished()
        #expect(try fresh.keysToUpload(serverCount: botAccount.maxOneTimeKeys / 2, hasFallbackKey: true, includeDeviceKeys: false) == nil)
        let topUp = try #require(try fresh.keysToUpload(serverCount: botAccount.maxOneTimeKeys / 2 - 3, hasFallbackKey: true, includeDeviceKeys: false))
        guard case .object(let more) = topUp["one_time_keys"] else { Issue.record("no top-up"); return }
        #expect(more.count == 3 && topUp["device_keys"] == nil && topUp["fallback_keys"] == nil)
    }

    @Test func toDeviceMessagesFromUnknownOrMisnamedDevicesAreRefused() throws {
        // A device nobody listed: Mallory's keys were never queried.
        let mallory = try PersonDevice(Self.mallory, id: "MALLORY")
        #expect(throws: CryptoMachine.Refusal.unknownDevice(Self.mallory, senderKey: mallory.keys.curve25519)) {
            try machine.receiveToDevice(sender: Self.mallory, content: try mallory.toDevice("m.room_key", try mallory.roomKey(for: Self.room), to: machine, botAccount: botAccount))
        }
        // Alice's key claimed by Mallory's event.
        #expect(throws: CryptoMachine.Refusal.unknownDevice(Self.mallory, senderKey: alice.keys.curve25519)) {
            try machine.receiveToDevice(sender: Self.mallory, content: try alice.toDevice("m.room_key", try alice.roomKey(for: Self.room), to: machine, botAccount: botAccount))
        }
        // A payload that names someone else as its recipient.
        let other = try PersonDevice(Self.alice, id: "ALICELAPTOP")
        machine.devices.update(Self.alice, from: .object([alice.id: try alice.deviceKeys, other.id: try other.deviceKeys]))
        #expect(throws: CryptoMachine.Refusal.misaddressed("recipient is not this bot")) {
            try machine.receiveToDevice(sender: Self.alice, content: try other.toDevice(
                "m.room_key", try other.roomKey(for: Self.room), to: machine, botAccount: botAccount, recipient: "@someoneelse:example.org"))
        }
        // Unknown algorithm, and a message for another device.
        #expect(throws: CryptoMachine.Refusal.unknownAlgorithm("m.olm.v2")) {
            try machine.receiveToDevice(sender: Self.alice, content: .object(["algorithm": .string("m.olm.v2")]))
        }
        #expect(throws: CryptoMachine.Refusal.notForThisDevice) {
            try machine.receiveToDevice(sender: Self.alice, content: .object([
                "algorithm": .string(CryptoMachine.olmAlgorithm), "sender_key": .string(alice.keys.curve25519), "ciphertext": .object([:]),
            ]))
        }
        // Bad ciphertext from a known device.
        #expect(throws: CryptoMachine.Refusal.self) {
            try machine.receiveToDevice(sender: Self.alice, content: .object([
                "algorithm": .string(CryptoMachine.olmAlgorithm), "sender_key": .string(alice.keys.curve25519),
                "ciphertext": .object([try botAccount.identityKeys().curve25519: .object(["type": .number(0), "body": .string("AAAA")])]),
            ]))
        }
        // And then Alice's real key is taken.
        #expect(try machine.receiveToDevice(sender: Self.alice, content: try alice.toDevice("m.room_key", try alice.roomKey(for: Self.room), to: machine, botAccount: botAccount)) != nil)
    }
}

extension JSONValue {
    var objectMembers: [String: JSONValue] {
        if case .object(let members) = self { return members }
        return [:]
    }
}
