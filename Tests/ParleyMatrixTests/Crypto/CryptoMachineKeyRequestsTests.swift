@testable import ParleyMatrix
import ParleyCore
import Testing

/// Room key requests between the bot's own devices, and everyone else's ignored.
@Suite struct CryptoMachineKeyRequestsTests {
    typealias Party = CryptoMachineOutboundTests.Party
    let room = CryptoMachineOutboundTests.room
    let bot: Party
    let otherBot: Party
    let alice: Party
    let reply: MatrixEvent

    init() throws {
        bot = try Party("@parley:example.org", "PARLEY")
        otherBot = try Party("@parley:example.org", "PARLEY2")
        alice = try Party("@alice:example.org", "PHONE")
        let ownDevices: JSONValue = .object([
            "PARLEY": try #require(bot.upload["device_keys"]), "PARLEY2": try #require(otherBot.upload["device_keys"]),
        ])
        bot.machine.devices.update(bot.machine.user, from: ownDevices)
        otherBot.machine.devices.update(bot.machine.user, from: ownDevices)
        alice.machine.devices.update(bot.machine.user, from: ownDevices)
        bot.machine.devices.update(alice.machine.user, from: .object(["PHONE": try #require(alice.upload["device_keys"])]))
        // A reply of the bot's, in a session only Alice was given.
        #expect(bot.machine.startSession(with: alice.device, oneTimeKey: try alice.claimedKey))
        for message in try bot.machine.roomKeyMessages(for: room, to: [alice.device], rules: .init(), now: .zero) {
            _ = try alice.machine.receiveToDevice(sender: bot.machine.user, content: message.content)
        }
        bot.machine.confirmShared(room, with: [alice.device])
        let content = try bot.machine.encrypt(
            "m.room.message", .object(["body": .string("the answer")]), in: room, readers: [alice.device], rules: .init(), now: .zero)
        reply = MatrixEvent(type: "m.room.encrypted", eventID: "$reply", sender: bot.machine.user, content: content)
    }

    @Test func anotherDeviceOfTheBotsAccountIsSentAKeyItAskedForAndReadsTheMessage() throws {
        #expect(throws: CryptoMachine.Refusal.self) { try otherBot.machine.decrypt(reply, in: room) }
        let request = try #require(otherBot.machine.keyRequest(for: reply, in: room))
        guard case .forward(let device, let content) = bot.machine.answer(keyRequest: request, from: bot.machine.user) else {
            Issue.record("the bot's own device is not answered")
            return
        }
        #expect(device.id == "PARLEY2")
        #expect(bot.machine.startSession(with: device, oneTimeKey: try otherBot.claimedKey))
        let message = try #require(try bot.machine.olmEncrypted("m.forwarded_room_key", content, to: device))
        let key = try otherBot.machine.receiveToDevice(sender: bot.machine.user, content: message.content)
        #expect(key?.sessionID == reply.content["session_id"]?.string)
        #expect(try otherBot.machine.decrypt(reply, in: room).content["body"]?.string == "the answer")

        // The same key again, unasked: refused.
        let again = try #require(try bot.machine.olmEncrypted("m.forwarded_room_key", content, to: device))
        #expect(throws: CryptoMachine.Refusal.misaddressed("a forwarded key this device did not ask for")) {
            try otherBot.machine.receiveToDevice(sender: bot.machine.user, content: again.content)
        }
    }

    @Test func requestsFromAnyoneElseOrForKeysItDoesNotHaveAreIgnored() throws {
        let request = try #require(otherBot.machine.keyRequest(for: reply, in: room))
        func answer(_ change: (inout [String: JSONValue]) -> Void, from sender: MatrixUserID? = nil) -> CryptoMachine.KeyRequestAnswer {
            guard case .object(var members) = request else { return .ignore("not an object") }
            change(&members)
            return bot.machine.answer(keyRequest: .object(members), from: sender ?? bot.machine.user)
        }
        func ignored(_ answer: CryptoMachine.KeyRequestAnswer) -> Bool { if case .ignore = answer { true } else { false } }
        #expect(ignored(answer({ _ in }, from: alice.machine.user)), "a person's device asks the people who sent the key")
        #expect(ignored(answer { $0["action"] = .string("request_cancellation") }))
        #expect(ignored(answer { $0["requesting_device_id"] = .string("UNKNOWN") }), "a device that published no signed keys")
        #expect(ignored(answer { $0["requesting_device_id"] = .string("PARLEY") }), "its own request, come back")
        #expect(ignored(answer { $0["body"] = .object(["algorithm": .string(CryptoMachine.megolmAlgorithm), "room_id": .string(room.rawValue),
                                                        "sender_key": .string("unknown"), "session_id": .string("unknown")]) }))
        #expect(ignored(answer { $0["body"] = .string("not an object") }))
        #expect(!ignored(answer { _ in }))
    }

    @Test func aForwardedKeyFromAnotherAccountIsRefused() throws {
        let request = try #require(otherBot.machine.keyRequest(for: reply, in: room))
        guard case .forward(_, let content) = bot.machine.answer(keyRequest: request, from: bot.machine.user) else {
            Issue.record("no answer")
            return
        }
        #expect(throws: CryptoMachine.Refusal.misaddressed("a forwarded key from another account (@alice:example.org)")) {
            try otherBot.machine.takeForwardedKey(content, sender: alice.machine.user)
        }
        var unknownOrigin = content
        if case .object(var members) = content {
            members["sender_claimed_ed25519_key"] = .string("someone else's key")
            unknownOrigin = .object(members)
        }
        #expect(throws: CryptoMachine.Refusal.unknownOriginalSender(senderKey: bot.machine.identityKeys.curve25519)) {
            try otherBot.machine.takeForwardedKey(unknownOrigin, sender: bot.machine.user)
        }
    }
}
