import Foundation
@testable import ParleyMatrix
import ParleyCore
import Testing

@Suite struct MatrixInboundTests {
    static let bot: MatrixUserID = "@parleybot:example.org"
    let inbound = MatrixInbound(network: "matrix", botUser: bot, botDisplayName: "Parley Bot", noticesFrom: ["@relay:example.org"])

    func event(_ content: [String: JSONValue], sender: MatrixUserID = "@alice:example.org", type: String = "m.room.message") -> MatrixEvent {
        MatrixEvent(type: type, eventID: "$e", sender: sender, originServerTS: 1_700_000_000_000, content: .object(content))
    }

    func text(_ body: String, mentions: [String]? = nil, extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var content: [String: JSONValue] = ["msgtype": .string("m.text"), "body": .string(body)]
        if let mentions { content["m.mentions"] = .object(["user_ids": .array(mentions.map(JSONValue.string))]) }
        return content.merging(extra) { $1 }
    }

    func read(_ event: MatrixEvent, rooms: MatrixRoomDirectory = MatrixRoomDirectory()) -> Result<InboundMessage, MatrixInbound.Skip> {
        inbound.message(from: event, room: "!room", rooms: rooms)
    }

    func skip(_ event: MatrixEvent) -> MatrixInbound.Skip? {
        if case .failure(let reason) = read(event) { return reason }
        return nil
    }

    // Issue 15: an edit carries its new text and its author; a redaction names what it removes,
    // top-level (room versions up to 10) or in the content (version 11).
    @Test func editsAndRedactionsAreRevisionsOfTheirTarget() throws {
        let rooms = MatrixRoomDirectory()
        let channel = ChannelKey(network: "matrix", channel: rooms.channel(for: "!room"))
        let edit = event(text("* fixed", extra: [
            "m.new_content": .object(["msgtype": .string("m.text"), "body": .string("fixed")]),
            "m.relates_to": .object(["rel_type": .string("m.replace"), "event_id": .string("$original")]),
        ]))
        guard case .revised(let place, let target, .edited(let newText, let author)) = inbound.revision(from: edit, room: "!room", rooms: rooms)
        else { Issue.record("not an edit"); return }
        #expect(place == channel && target == "$original" && newText == "fixed" && author == "@alice:example.org")
        #expect(skip(edit) == .edit, "and never a new question")

        let v10 = try JSONDecoder().decode(MatrixEvent.self, from: Data(
            #"{"type":"m.room.redaction","event_id":"$r","sender":"@alice:example.org","redacts":"$gone","content":{}}"#.utf8))
        let v11 = try JSONDecoder().decode(MatrixEvent.self, from: Data(
            #"{"type":"m.room.redaction","event_id":"$r","sender":"@mod:example.org","content":{"redacts":"$gone"}}"#.utf8))
        for redaction in [v10, v11] {
            guard case .revised(_, let target, .redacted) = inbound.revision(from: redaction, room: "!room", rooms: rooms)
            else { Issue.record("not a redaction"); continue }
            #expect(target == "$gone")
        }
        #expect(inbound.revision(from: event(text("plain")), room: "!room", rooms: rooms) == nil)
        let badTarget = event(text("* x", extra: [
            "m.new_content": .object(["body": .string("x")]),
            "m.relates_to": .object(["rel_type": .string("m.replace"), "event_id": .string("not an id")]),
        ]))
        #expect(inbound.revision(from: badTarget, room: "!room", rooms: rooms) == nil)
    }

    @Test func senderAndEventIdsOfTheWrongShapeAreNotReadAsSomeone() {
        for sender: MatrixUserID in ["alice", "@alice", "@:example.org", "@ali ce:example.org", "@alice\u{0}:x", "@a\r\nb:x"] {
            #expect(skip(event(text("parleybot: hi"), sender: sender)) == .malformedIDs, "\(sender)")
        }
        var wrongEvent = event(text("parleybot: hi"))
        wrongEvent.eventID = "$a\nb"
        #expect(skip(wrongEvent) == .malformedIDs)
        #expect(skip(event(text("parleybot: hi"))) == nil)
    }

    @Test func aPillInMentionsAddressesTheBotAndTheLeadingNameIsTakenOff() throws {
        let message = try read(event(text("Parley Bot: what time is it?", mentions: [Self.bot.rawValue]))).get()
        #expect(message.addressing == .addressed(body: "what time is it?"))
        #expect(message.sender.account == "@alice:example.org")
        #expect(message.time == Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test func mentionsNamingTheBotAnywhereAreAMention() throws {
        let message = try read(event(text("I asked the bot already", mentions: [Self.bot.rawValue]))).get()
        #expect(message.addressing == .mentioned)
    }

    @Test func mentionsThatLeaveTheBotOutAreNotAMentionEvenIfTheNameAppears() throws {
        let message = try read(event(text("parleybot is a bot, says bob", mentions: ["@bob:example.org"]))).get()
        #expect(message.addressing == .none)
    }

    @Test func withoutMentionsTheUserIdOrDisplayNameInTheBodyCounts() throws {
        #expect(try read(event(text("hey @parleybot:example.org look"))).get().addressing == .mentioned)
        #expect(try read(event(text("parleybot: hi"))).get().addressing == .addressed(body: "hi"))
        #expect(try read(event(text("nothing for bots here"))).get().addressing == .none)
    }

    @Test func neverReadsItsOwnEventsOtherBotsNoticesOrEdits() {
        #expect(skip(event(text("mine"), sender: Self.bot)) == .ownEvent)
        #expect(skip(event(["msgtype": .string("m.notice"), "body": .string("beep")], sender: "@otherbot:x")) == .noticeFromABot)
        let edit = text("* fixed", extra: ["m.relates_to": .object(["rel_type": .string("m.replace"), "event_id": .string("$old")])])
        #expect(skip(event(edit)) == .edit)
        #expect(skip(event(["msgtype": .string("m.image"), "body": .string("cat.png")])) == .unsupportedType)
        #expect(skip(event([:], type: "m.reaction")) == .notAMessage)
    }

    @Test func readsNoticesFromConfiguredUsersAsQuestionsMarkedAsFromABot() throws {
        let message = try read(event(["msgtype": .string("m.notice"), "body": .string("parleybot: relay this")], sender: "@relay:example.org")).get()
        #expect(message.sender.isBot)
        #expect(message.body == "relay this")
    }

    @Test func takesThreadReplyAndDirectnessFromTheEventAndRoom() throws {
        var rooms = MatrixRoomDirectory()
        rooms["!room"].direct = true
        rooms.name("!room", as: "#help:example.org")
        let relation: JSONValue = .object([
            "rel_type": .string("m.thread"), "event_id": .string("$root"), "m.in_reply_to": .object(["event_id": .string("$q")]),
        ])
        let message = try read(event(text("in thread", extra: ["m.relates_to": relation])), rooms: rooms).get()
        #expect(message.thread == ThreadID("$root"))
        #expect(message.replyTo == MessageID("$q"))
        #expect(message.isDirect)
        #expect(message.channel.channel == "#help:example.org")
    }

    @Test func dropsTheQuotedFallbackOlderClientsPutBeforeAReply() {
        let body = "> <@bob:x> the question\n> second line\n\nmy actual answer\nand more"
        #expect(MatrixInbound.withoutReplyFallback(body) == "my actual answer\nand more")
        #expect(MatrixInbound.withoutReplyFallback("> a quote I wrote myself") == "")
        #expect(MatrixInbound.withoutReplyFallback("no fallback") == "no fallback")
    }

    @Test func namesSendersByDisplayNameAndOperatorsByPowerLevel() throws {
        var rooms = MatrixRoomDirectory()
        rooms.apply(MatrixEvent(type: "m.room.member", eventID: "$m", sender: "@alice:example.org", stateKey: "@alice:example.org",
                                content: .object(["membership": .string("join"), "displayname": .string("Alice A.")])), in: "!room")
        rooms.apply(MatrixEvent(type: "m.room.power_levels", eventID: "$p", sender: "@alice:example.org", stateKey: "",
                                content: .object(["users": .object(["@alice:example.org": .number(100)])])), in: "!room")
        let message = try read(event(text("hi")), rooms: rooms).get()
        #expect(message.sender.displayName == "Alice A.")
        #expect(message.sender.isOperator)
        let stranger = try read(event(text("hi"), sender: "@zed:example.org"), rooms: rooms).get()
        #expect(stranger.sender.displayName == "zed")
        #expect(!stranger.sender.isOperator)
    }
}

