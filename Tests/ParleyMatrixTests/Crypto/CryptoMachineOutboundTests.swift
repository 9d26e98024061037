@testable import ParleyMatrix
import ParleyCore
import Testing

/// The bot's replies into an encrypted room, read by people's devices that are crypto machines
/// themselves: what the bot shares and encrypts is what another implementation of the same rules
/// takes in.
@Suite struct CryptoMachineOutboundTests {
    static let room: MatrixRoomID = "!encrypted:example.org"

    /// A device with its machine and what it published.
    struct Party {
        let machine: CryptoMachine
        let upload: JSONValue
        var device: KnownDevices.Device {
            KnownDevices.Device(user: machine.user, id: machine.device, curve25519: machine.identityKeys.curve25519, ed25519: machine.identityKeys.ed25519)
        }

        init(_ user: MatrixUserID, _ device: String) throws {
            machine = try CryptoMachine.create(user: user, device: device)
            upload = try #require(try machine.keysToUpload(serverCount: 0, hasFallbackKey: true, includeDeviceKeys: true))
            machine.markKeysPublished()
        }

        /// One of its published one-time keys, as `/keys/claim` returns it.
        var claimedKey: JSONValue {
            get throws {
                guard case .object(let keys)? = upload["one_time_keys"], let first = keys.values.first else { throw Missing() }
                return first
            }
        }

        struct Missing: Error {}
    }

    let bot: Party
    let alicePhone: Party
    let aliceLaptop: Party
    let carol: Party
    var readers: [Party] { [alicePhone, aliceLaptop, carol] }

    init() throws {
        bot = try Party("@parley:example.org", "PARLEY")
        alicePhone = try Party("@alice:example.org", "PHONE")
        aliceLaptop = try Party("@alice:example.org", "LAPTOP")
        carol = try Party("@carol:example.org", "CAROL")
        for party in [alicePhone, aliceLaptop, carol] {
            party.machine.devices.update(bot.machine.user, from: .object([bot.machine.device: try #require(bot.upload["device_keys"])]))
        }
        bot.machine.devices.update("@alice:example.org", from: .object([
            "PHONE": try #require(alicePhone.upload["device_keys"]), "LAPTOP": try #require(aliceLaptop.upload["device_keys"]),
        ]))
        bot.machine.devices.update("@carol:example.org", from: .object(["CAROL": try #require(carol.upload["device_keys"])]))
    }

    /// Claims, starts sessions, sends the room key to `parties` and confirms it; returns the keys taken.
    @discardableResult
    func share(with parties: [Party], rules: CryptoMachine.RotationRules = .init(), now: Duration = .zero) throws -> [CryptoMachine.RoomKey] {
        let devices = parties.map(\.device)
        for device in bot.machine.devicesWithoutSession(devices) {
            let party = try #require(parties.first { $0.device == device })
            #expect(bot.machine.startSession(with: device, oneTimeKey: try party.claimedKey))
        }
        #expect(bot.machine.devicesWithoutSession(devices).isEmpty)
        var taken: [CryptoMachine.RoomKey] = []
        for message in try bot.machine.roomKeyMessages(for: Self.room, to: devices, rules: rules, now: now) {
            let party = try #require(parties.first { $0.machine.user == message.user && $0.machine.device == message.device })
            if let key = try party.machine.receiveToDevice(sender: bot.machine.user, content: message.content) { taken.append(key) }
        }
        bot.machine.confirmShared(Self.room, with: devices)
        return taken
    }

    func event(_ content: JSONValue, id: String) -> MatrixEvent {
        MatrixEvent(type: "m.room.encrypted", eventID: MatrixEventID(id), sender: bot.machine.user, content: content)
    }

    @Test func everyDeviceOfEveryMemberReadsTheReplyAndItsEditWithTheRelationInTheClear() throws {
        let content: JSONValue = .object(["msgtype": .string("m.notice"), "body": .string("the answer")])
        #expect(throws: CryptoMachine.OutboundRefusal.notShared(room: Self.room)) {
            try bot.machine.encrypt("m.room.message", content, in: Self.room, readers: readers.map(\.device), rules: .init(), now: .zero)
        }
        let taken = try share(with: readers)
        #expect(taken.count == 3 && Set(taken.map(\.sessionID)).count == 1)

        let reply = try bot.machine.encrypt("m.room.message", content, in: Self.room, readers: readers.map(\.device), rules: .init(), now: .zero)
        #expect(reply["ciphertext"]?.string?.contains("the answer") == false)
        for party in readers {
            let clear = try party.machine.decrypt(event(reply, id: "$reply"), in: Self.room)
            #expect(clear.type == "m.room.message" && clear.content == content)
            #expect(clear.device?.id == "PARLEY")
        }
        let relation: JSONValue = .object(["rel_type": .string("m.replace"), "event_id": .string("$reply")])
        let edit = try bot.machine.encrypt(
            "m.room.message", .object(["body": .string("* the whole answer"), "m.relates_to": relation]),
            in: Self.room, readers: readers.map(\.device), rules: .init(), now: .zero)
        #expect(edit["m.relates_to"] == relation, "relations stay readable by the server")
        #expect(try carol.machine.decrypt(event(edit, id: "$edit"), in: Self.room).content["body"]?.string == "* the whole answer")
        // The bot reads its own messages too.
        #expect(try bot.machine.decrypt(event(reply, id: "$reply"), in: Self.room).content == content)
    }

    @Test func afterALeaveTheNextReplyUsesASessionTheLeaverCannotRead() throws {
        try share(with: readers)
        let before = try bot.machine.encrypt("m.room.message", .object(["body": .string("before")]), in: Self.room, readers: readers.map(\.device), rules: .init(), now: .zero)
        #expect(try carol.machine.decrypt(event(before, id: "$before"), in: Self.room).content["body"]?.string == "before")

        bot.machine.rotate(Self.room)
        let staying = [alicePhone, aliceLaptop]
        let taken = try share(with: staying)
        #expect(taken.count == 2)
        let after = try bot.machine.encrypt("m.room.message", .object(["body": .string("after carol left")]), in: Self.room, readers: staying.map(\.device), rules: .init(), now: .zero)
        #expect(after["session_id"] != before["session_id"])
        #expect(try aliceLaptop.machine.decrypt(event(after, id: "$after"), in: Self.room).content["body"]?.string == "after carol left")
        #expect(throws: CryptoMachine.Refusal.missingRoomKey(sessionID: after["session_id"]?.string ?? "")) {
            try carol.machine.decrypt(event(after, id: "$after"), in: Self.room)
        }
    }

    @Test func aSessionIsReplacedAfterItsMessagesOrItsPeriod() throws {
        let rules = CryptoMachine.RotationRules(messages: 2, period: .seconds(60))
        try share(with: [alicePhone], rules: rules)
        let readers = [alicePhone.device]
        let first = try bot.machine.encrypt("m.room.message", .object([:]), in: Self.room, readers: readers, rules: rules, now: .zero)
        let second = try bot.machine.encrypt("m.room.message", .object([:]), in: Self.room, readers: readers, rules: rules, now: .seconds(1))
        #expect(first["session_id"] == second["session_id"])
        #expect(throws: CryptoMachine.OutboundRefusal.notShared(room: Self.room), "two messages carried: a new session, not yet shared") {
            try bot.machine.encrypt("m.room.message", .object([:]), in: Self.room, readers: readers, rules: rules, now: .seconds(2))
        }
        try share(with: [alicePhone], rules: rules, now: .seconds(2))
        let third = try bot.machine.encrypt("m.room.message", .object([:]), in: Self.room, readers: readers, rules: rules, now: .seconds(3))
        #expect(third["session_id"] != second["session_id"])
        #expect(throws: CryptoMachine.OutboundRefusal.notShared(room: Self.room), "a minute later: a new session again") {
            try bot.machine.encrypt("m.room.message", .object([:]), in: Self.room, readers: readers, rules: rules, now: .seconds(63))
        }
        #expect(CryptoMachine.RotationRules(.object(["rotation_period_msgs": .number(10), "rotation_period_ms": .number(3_600_000)]))
            == CryptoMachine.RotationRules(messages: 10, period: .seconds(3600)))
        #expect(CryptoMachine.RotationRules(.object(["rotation_period_msgs": .number(-1), "rotation_period_ms": .string("soon")])) == .init())
    }

    @Test func aOneTimeKeyWithoutTheDevicesSignatureStartsNoSession() throws {
        let forged = try DeviceKeys.signed(.object(["key": .string(try #require(try carol.claimedKey["key"]?.string))]),
                                           by: alicePhone.machine.account, user: "@carol:example.org", device: "CAROL")
        #expect(!bot.machine.startSession(with: carol.device, oneTimeKey: forged))
        #expect(!bot.machine.startSession(with: carol.device, oneTimeKey: .object(["key": .string("unsigned")])))
        #expect(bot.machine.devicesWithoutSession([carol.device]) == [carol.device])
        #expect(bot.machine.startSession(with: carol.device, oneTimeKey: try carol.claimedKey))
    }
}
