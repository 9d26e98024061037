import Foundation
import Logging
@testable import ParleyMatrix
import ParleyCore
import ParleyHTTP
import ParleyTesting
import Testing

@Suite struct MatrixConnectorTests {
    static let bot: MatrixUserID = "@bot:x"

    /// A connector on `homeserver`, running, with what it emits collected.
    final class Running: Sendable {
        let connector: MatrixConnector
        let task: Task<Void, any Error>
        let inbox = Inbox()
        let collector: Task<Void, Never>

        final class Inbox: Sendable {
            let messages = Locked<[InboundMessage]>([])
        }

        init(
            _ homeserver: FakeHomeserver, store: InMemoryMatrixState,
            invites: MatrixConnectorConfiguration.InvitePolicy = .init(servers: ["x"]),
            logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            typingTimeout: Duration = .seconds(30),
            typingDelay: Duration = .zero,
            readReceiptDelay: Duration = .zero,
            clock: any MonotonicClock = SystemMonotonicClock(),
            language: BotLanguage = .english
        ) {
            var configuration = MatrixConnectorConfiguration(
                network: "matrix", homeserver: URL(string: "http://127.0.0.1:1")!, userID: MatrixConnectorTests.bot,
                authentication: .password(Secret("pw")), invites: invites)
            configuration.syncTimeout = .milliseconds(10)
            configuration.typingTimeout = typingTimeout
            configuration.typingDelay = typingDelay
            configuration.readReceiptDelay = readReceiptDelay
            configuration.language = language
            let connector = MatrixConnector(
                configuration: configuration, logger: logger, store: store, transport: homeserver, clock: clock)
            self.connector = connector
            let (stream, continuation) = AsyncStream.makeStream(of: ConnectorEvent.self)
            task = Task { try await connector.run(events: ConnectorEvents(continuation)) }
            let inbox = self.inbox
            collector = Task {
                for await event in stream {
                    if case .message(let message) = event { inbox.messages.withLock { $0.append(message) } }
                }
            }
        }

        var messages: [InboundMessage] { inbox.messages.withLock { $0 } }

        /// Drains first, as the bot does: replies handed over before are acknowledged.
        func stop() async {
            await connector.drain()
            task.cancel()
            _ = await task.result
            collector.cancel()
        }
    }

    static func sync(_ batch: String, room: String = "!r", events: [String] = [], limited: Bool = false, previous: String? = nil) -> String {
        let previousField = previous.map { #", "prev_batch": "\#($0)""# } ?? ""
        return #"""
        {"next_batch": "\#(batch)", "rooms": {"join": {"\#(room)": {"timeline": {"limited": \#(limited)\#(previousField), "events": [\#(events.joined(separator: ","))]}}}}}
        """#
    }

    static func mention(_ id: String, _ text: String = "hello", sender: String = "@alice:x") -> String {
        #"{"type":"m.room.message","event_id":"\#(id)","sender":"\#(sender)","origin_server_ts":1,"content":{"msgtype":"m.text","body":"bot: \#(text)","m.mentions":{"user_ids":["\#(bot)"]}}}"#
    }

    @Test func theFirstSyncAfterAFreshStartDoesNotAnswerTheBacklog() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        homeserver.enqueueSync(Self.sync("s1", events: [Self.mention("$old")]))
        homeserver.enqueueSync(Self.sync("s2", events: [Self.mention("$new")]))
        let running = Running(homeserver, store: InMemoryMatrixState())
        let messages = try await eventually("the new message") { running.messages.isEmpty ? nil : running.messages }
        await running.stop()
        #expect(messages.map(\.id) == ["$new"])
        #expect(homeserver.requests(containing: "/sync").first?.query["since"] == nil)
        #expect(homeserver.requests(containing: "/sync").dropFirst().first?.query["since"] == "s1")
    }

    @Test func storesTheBatchsEventsAsPendingWithThePositionBeforeHandingThemOn() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let store = InMemoryMatrixState()
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(Self.sync("s2", events: [Self.mention("$a"), Self.mention("$b")]))
        let running = Running(homeserver, store: store)
        _ = try await eventually("two messages") { running.messages.count == 2 ? true : nil }
        await running.stop()
        let commits = store.commits.withLock { $0 }
        #expect(commits.map(\.since) == ["s1", "s2"])
        #expect(commits.last?.admitted == ["$a", "$b"])
        #expect(store.saved.withLock { $0.pending.map(\.eventID) } == ["$a", "$b"])
    }

    @Test func aRestartReplaysWhatWasNotSettledAndNothingThatWas() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let store = InMemoryMatrixState()
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(Self.sync("s2", events: [Self.mention("$done"), Self.mention("$unfinished")]))
        let first = Running(homeserver, store: store)
        let received = try await eventually("two messages") { first.messages.count == 2 ? first.messages : nil }
        await first.connector.settled(received[0])
        await first.stop()

        // The same batch comes again (a sync that overlaps), then a new one.
        homeserver.enqueueSync(Self.sync("s3", events: [Self.mention("$done"), Self.mention("$unfinished"), Self.mention("$later")]))
        let syncsBefore = homeserver.requests(containing: "/sync").count
        let second = Running(homeserver, store: store)
        let replayed = try await eventually("the replay and the new message") { second.messages.count >= 2 ? second.messages : nil }
        // Once it asks for the sync after s3, all that s3 brought has been handed over.
        _ = try await eventually("the sync after s3") { homeserver.requests(containing: "/sync").count >= syncsBefore + 2 ? true : nil }
        await second.stop()
        #expect(replayed.map(\.id) == ["$unfinished", "$later"])
        #expect(second.messages.count == 2)
        #expect(homeserver.requests(containing: "/login").count == 1, "the second start reuses the stored device")
    }

    @Test func aReplyResentAfterARestartUsesTheSameTransactionSoItIsPostedOnce() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let store = InMemoryMatrixState()
        homeserver.enqueueSync(Self.sync("s1"))
        let first = Running(homeserver, store: store)
        let reply = OutboundMessage(channel: ChannelKey(network: "matrix", channel: "!r"), text: "the answer", replyTo: "$q")
        _ = try await eventually("the first sync") { homeserver.requests(containing: "/sync").count >= 2 ? true : nil }
        try await first.connector.send(reply)
        await first.stop()
        let second = Running(homeserver, store: store)
        try await second.connector.send(reply)
        await second.stop()
        let paths = homeserver.requests(containing: "/send/").map(\.path)
        #expect(paths.count == 2)
        #expect(paths[0] == paths[1])
        #expect(paths[0].hasSuffix("/send/m.room.message/parley.reply.%24q.0"))
    }

    @Test func streamsADraftThenEditsThatSameEventWithTheWholeReply() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let running = Running(homeserver, store: InMemoryMatrixState())
        let channel = ChannelKey(network: "matrix", channel: "!r")
        let sender = Sender(id: "@alice:x", displayName: "alice", account: "@alice:x")
        for (text, part) in [("The", OutboundMessage.Part.draft), ("The answer", .draft), ("The answer is 42.", .complete)] {
            try await running.connector.send(OutboundMessage(
                channel: channel, text: text, part: part, style: .notice, thread: "$root", replyTo: "$q", recipient: sender))
        }
        await running.stop()
        let sent = homeserver.sentContents
        #expect(sent.count == 3)
        let first = sent[0].content
        #expect(first["body"]?.string == "The")
        #expect(first["msgtype"]?.string == "m.notice")
        #expect(first["m.relates_to"]?["rel_type"]?.string == "m.thread")
        #expect(first["m.relates_to"]?["event_id"]?.string == "$root")
        #expect(first["m.relates_to"]?["m.in_reply_to"]?["event_id"]?.string == "$q")
        #expect(first["m.mentions"]?["user_ids"]?.array == [.string("@alice:x")])
        for (edit, text) in zip(sent.dropFirst().map(\.content), ["The answer", "The answer is 42."]) {
            #expect(edit["m.relates_to"]?["rel_type"]?.string == "m.replace")
            #expect(edit["m.relates_to"]?["event_id"]?.string == "$sent1")
            #expect(edit["m.new_content"]?["body"]?.string == text)
            #expect(edit["body"]?.string == "* " + text)
            #expect(edit["m.mentions"] == .object([:]))
        }
        #expect(Set(sent.map(\.path)).count == 3, "each edit is a transaction of its own")
    }

    @Test func controlCharactersFromAModelNeverReachTheEvent() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let running = Running(homeserver, store: InMemoryMatrixState())
        try await running.connector.send(OutboundMessage(
            channel: ChannelKey(network: "matrix", channel: "!r"), text: "a\u{0}b\u{1B}[31mc\r\nd\u{85}e", replyTo: "$q"))
        await running.stop()
        #expect(homeserver.sentContents.first?.content["body"]?.string == "ab[31mc\nde")
    }

    @Test func refusesAnInviteFromOutsideTheAllowListAndJoinsOneFromInside() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        func invite(_ room: String, from inviter: String) -> String {
            #"{"next_batch":"s2","rooms":{"invite":{"\#(room)":{"invite_state":{"events":[{"type":"m.room.member","state_key":"\#(Self.bot)","sender":"\#(inviter)","content":{"membership":"invite","is_direct":true}}]}}}}}"#
        }
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(invite("!bad", from: "@mallory:evil.example"))
        homeserver.enqueueSync(invite("!good", from: "@alice:x"))
        let store = InMemoryMatrixState()
        let running = Running(homeserver, store: store, invites: .init(users: ["@alice:x"]))
        _ = try await eventually("both invites answered") {
            homeserver.requests(containing: "/join/").count == 1 && homeserver.requests(containing: "/leave").count == 1 ? true : nil
        }
        await running.stop()
        #expect(homeserver.requests(containing: "/leave").first?.path.contains("%21bad") == true)
        #expect(homeserver.requests(containing: "/join/").first?.path.contains("%21good") == true)
        #expect(store.saved.withLock { $0.roomFlags["!good"] } == [.direct], "an invite marked is_direct makes a direct room")
    }

    @Test func fillsALimitedTimelinesGapFromMessagesOldestFirst() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        homeserver.enqueueSync(Self.sync("s1"))
        // /messages pages go backwards: newest first.
        homeserver.enqueueMessagesPage(#"{"chunk":[\#(Self.mention("$gap3")),\#(Self.mention("$gap2"))],"end":"t2"}"#)
        homeserver.enqueueMessagesPage(#"{"chunk":[\#(Self.mention("$gap1"))],"end":"t3"}"#)
        homeserver.enqueueSync(Self.sync("s2", events: [Self.mention("$seen")], limited: true, previous: "t1"))
        let running = Running(homeserver, store: InMemoryMatrixState())
        let messages = try await eventually("four messages") { running.messages.count == 4 ? running.messages : nil }
        await running.stop()
        #expect(messages.map(\.id) == ["$gap1", "$gap2", "$gap3", "$seen"])
        let pages = homeserver.requests(containing: "/messages")
        #expect(pages.first?.query["from"] == "t1")
        #expect(pages.first?.query["to"] == "s1")
        #expect(pages.first?.query["dir"] == "b")
    }

    @Test func tellsAnEncryptedRoomOnceThatItCannotReadIt() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let encrypted = #"{"type":"m.room.encrypted","event_id":"$enc","sender":"@alice:x","content":{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"..."}}"#
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(Self.sync("s2", events: [encrypted]))
        homeserver.enqueueSync(Self.sync("s3", events: [encrypted.replacingOccurrences(of: "$enc", with: "$enc2")]))
        let running = Running(homeserver, store: InMemoryMatrixState())
        // A batch's receipt goes after anything the batch made the bot say, so once the last
        // batch is marked read, a second notice would have been sent.
        _ = try await eventually("the last batch marked read") { homeserver.requests(containing: "%24enc2").isEmpty ? nil : true }
        await running.stop()
        let paths = homeserver.requests.map(\.path).filter { $0.contains("/send/") || $0.contains("/receipt/") }
        #expect(paths.first?.contains("/send/") == true && paths.dropFirst().first?.contains("/receipt/m.read/%24enc") == true, "\(paths)")
        #expect(homeserver.sentContents.count == 1)
        #expect(homeserver.sentContents.first?.content["body"]?.string == BotSentence.cannotReadEncryptedRoom.text(in: .english))
        #expect(running.messages.isEmpty)
    }

    // Issue 12: a question sent in clear into an encrypted room is not answered (the answer
    // would be in clear too), and nothing is sent there but the one notice, whatever asks.
    @Test func nothingButTheNoticeIsSentInClearIntoAnEncryptedRoom() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let encryption = #"{"type":"m.room.encryption","event_id":"$state","sender":"@alice:x","state_key":"","content":{"algorithm":"m.megolm.v1.aes-sha2"}}"#
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(Self.sync("s2", events: [encryption, Self.mention("$clear", "answer me in clear")]))
        let running = Running(homeserver, store: InMemoryMatrixState())
        _ = try await eventually("the batch marked read") { homeserver.requests(containing: "%24clear").isEmpty ? nil : true }
        #expect(running.messages.isEmpty, "not handed to the bot")
        let reply = OutboundMessage(
            channel: ChannelKey(network: "matrix", channel: "!r"), text: "an answer", replyTo: "$clear")
        await #expect(throws: MatrixError.self) { try await running.connector.send(reply) }
        await running.stop()
        #expect(homeserver.sentContents.count == 1)
        #expect(homeserver.sentContents.first?.content["body"]?.string == BotSentence.cannotReadEncryptedRoom.text(in: .english))
    }

    @Test func theEncryptedRoomNoticeIsInTheNetworksLanguage() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let encrypted = #"{"type":"m.room.encrypted","event_id":"$enc","sender":"@alice:x","content":{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"..."}}"#
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(Self.sync("s2", events: [encrypted]))
        let running = Running(homeserver, store: InMemoryMatrixState(), language: .simplifiedChinese)
        _ = try await eventually("the notice") { homeserver.sentContents.isEmpty ? nil : true }
        await running.stop()
        #expect(homeserver.sentContents.first?.content["body"]?.string == BotSentence.cannotReadEncryptedRoom.text(in: .simplifiedChinese))
    }

    @Test func showsTypingWhileAQuestionIsOpenAndMarksTheBatchRead() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(Self.sync("s2", events: [Self.mention("$q")]))
        let running = Running(homeserver, store: InMemoryMatrixState())
        let question = try await eventually("the question") { running.messages.first }
        _ = try await eventually("typing on") { homeserver.requests(containing: "/typing/").count == 1 ? true : nil }
        await running.connector.settled(question)
        _ = try await eventually("typing off") { homeserver.requests(containing: "/typing/").count == 2 ? true : nil }
        _ = try await eventually("the receipt") { homeserver.requests(containing: "/receipt/m.read/").first }
        await running.stop()
        let typing = homeserver.requests(containing: "/typing/").compactMap { $0.body.flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) } }
        #expect(typing.map { $0["typing"] } == [.bool(true), .bool(false)])
        #expect(homeserver.requests(containing: "/receipt/m.read/").first?.path.hasSuffix("/%24q") == true)
    }

    @Test func moderatesOnlyWhereItsPowerLevelAllows() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let running = Running(homeserver, store: InMemoryMatrixState())
        let channel = ChannelKey(network: "matrix", channel: "!r")
        let spammer = Sender(id: "@spam:x", displayName: "spam", account: "@spam:x")
        let kick = ModerationAction(kind: .kick, target: spammer, reason: "spam")
        await #expect(throws: MatrixError.self) { try await running.connector.perform(kick, in: channel) }
        #expect(homeserver.requests(containing: "/kick").isEmpty)
        homeserver.state.withLock { $0.powerLevels = #"{"users":{"\#(Self.bot)":50},"kick":50,"redact":50}"# }
        try await running.connector.perform(kick, in: channel)
        try await running.connector.perform(ModerationAction(kind: .redact, target: spammer, message: "$bad", reason: "spam"), in: channel)
        await running.stop()
        let kicked = try #require(homeserver.requests(containing: "/kick").first?.body)
        #expect(try JSONDecoder().decode(JSONValue.self, from: kicked)["user_id"]?.string == "@spam:x")
        #expect(homeserver.requests(containing: "/redact/%24bad/").count == 1)
    }

    @Test func aGapLongerThanItFetchesIsAnsweredFromItsNewestEndAndSaysSo() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        homeserver.enqueueSync(Self.sync("s1"))
        let pages = MatrixConnector.maxGapPages
        for page in 0..<(pages + 5) {
            let event = Self.mention("$gap\(page)")
            homeserver.enqueueMessagesPage(#"{"chunk":[\#(event)],"end":"t\#(page + 2)"}"#)
        }
        homeserver.enqueueSync(Self.sync("s2", events: [Self.mention("$seen")], limited: true, previous: "t1"))
        let log = CapturedLog()
        let running = Running(homeserver, store: InMemoryMatrixState(), logger: log.logger)
        let messages = try await eventually("the gap and the timeline") { running.messages.count == pages + 1 ? running.messages : nil }
        await running.stop()
        #expect(homeserver.requests(containing: "/messages").count == pages)
        #expect(messages.first?.id == MessageID("$gap\(pages - 1)"))
        #expect(messages.last?.id == "$seen")
        #expect(log.contains("older messages in it are not answered"))
    }

    @Test func aReplyTooLongForAnEventIsCutAtACharacterWithAnEllipsisAndAnHTMLTooLongIsLeftOut() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let running = Running(homeserver, store: InMemoryMatrixState())
        let channel = ChannelKey(network: "matrix", channel: "!r")
        try await running.connector.send(OutboundMessage(channel: channel, text: String(repeating: "é", count: 20_000), replyTo: "$long"))
        try await running.connector.send(OutboundMessage(channel: channel, text: String(repeating: "\"", count: 20_000), replyTo: "$quotes"))
        await running.stop()
        let long = try #require(homeserver.sentContents.first?.content)
        let body = try #require(long["body"]?.string)
        #expect(body.utf8.count <= MatrixOutbound.maxTextBytes && body.hasSuffix("…"))
        #expect(body.dropLast().allSatisfy { $0 == "é" })
        let quotes = try #require(homeserver.sentContents.last?.content)
        #expect(quotes["body"]?.string?.count == 20_000)
        #expect(quotes["formatted_body"] == nil && quotes["format"] == nil)
    }

    @Test func showsTypingOnlyOnceAnAnswerIsSlowAndRenewsItWhileTheQuestionStaysOpen() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(Self.sync("s2", events: [Self.mention("$slow")]))
        let clock = TestClock()
        let running = Running(
            homeserver, store: InMemoryMatrixState(), typingTimeout: .seconds(30), typingDelay: .milliseconds(500), clock: clock)
        let question = try await eventually("the question") { running.messages.first }
        let typing = { homeserver.requests(containing: "/typing/").count }
        _ = try await eventually("the typing delay parked") { clock.sleepers == 1 ? true : nil }
        #expect(typing() == 0, "nothing shown before the delay")
        clock.advance(by: .milliseconds(500))
        _ = try await eventually("typing shown") { typing() == 1 ? true : nil }
        // Then 21 s (0.7 of the timeout) renew the typing notice while the question is open.
        for renewal in 2...3 {
            _ = try await eventually("the renewal parked") { clock.sleepers == 1 ? true : nil }
            clock.advance(by: .seconds(21))
            _ = try await eventually("renewal \(renewal)") { typing() == renewal ? true : nil }
        }
        await running.connector.settled(question)
        _ = try await eventually("typing stopped") { typing() == 4 ? true : nil }
        _ = try await eventually("nothing waits on the clock") { clock.sleepers == 0 ? true : nil }
        await running.stop()
        let shown = homeserver.requests(containing: "/typing/").compactMap { $0.body.flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) } }
        #expect(shown.map { $0["typing"] } == [.bool(true), .bool(true), .bool(true), .bool(false)])
    }

    // Issue 20: the reply is the first request after the decision.
    @Test func aQuickAnswerGoesOutWithoutTypingAndABurstIsMarkedReadOnce() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(Self.sync("s2", events: [Self.mention("$q1")]))
        homeserver.enqueueSync(Self.sync("s3", events: [Self.mention("$q2")]))
        let clock = TestClock()
        let running = Running(
            homeserver, store: InMemoryMatrixState(), typingDelay: .milliseconds(500), readReceiptDelay: .seconds(1), clock: clock)
        let questions = try await eventually("both questions") { running.messages.count == 2 ? running.messages : nil }
        let channel = ChannelKey(network: "matrix", channel: "!r")
        for question in questions {
            try await running.connector.send(OutboundMessage(channel: channel, text: "pong", replyTo: question.id))
            await running.connector.settled(question)
        }
        // Only the receipt's wait is left on the clock: the typing delays ended with their questions.
        _ = try await eventually("the receipt's wait alone") { clock.sleepers == 1 ? true : nil }
        #expect(homeserver.requests(containing: "/receipt/").isEmpty)
        clock.advance(by: .seconds(1))
        _ = try await eventually("the receipt") { homeserver.requests(containing: "/receipt/").first }
        await running.stop()
        #expect(homeserver.requests(containing: "/typing/").isEmpty)
        let receipts = homeserver.requests(containing: "/receipt/m.read/").map(\.path)
        #expect(receipts.count == 1 && receipts.first?.hasSuffix("/%24q2") == true, "\(receipts)")
    }

    // Issue 20: in one room, the next reply goes out while the one before is in flight; a
    // question is stored as handled only once its reply is acknowledged.
    @Test func aReplyDoesNotWaitForTheOneBeforeAndAQuestionIsSettledWhenItsReplyIsAcknowledged() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        let store = InMemoryMatrixState()
        homeserver.enqueueSync(Self.sync("s1"))
        homeserver.enqueueSync(Self.sync("s2", events: [Self.mention("$q1"), Self.mention("$q2")]))
        let slow = homeserver.hold(sendsContaining: "first answer")
        let running = Running(homeserver, store: store)
        let questions = try await eventually("both questions") { running.messages.count == 2 ? running.messages : nil }
        let channel = ChannelKey(network: "matrix", channel: "!r")
        try await running.connector.send(OutboundMessage(channel: channel, text: "first answer", replyTo: "$q1"))
        await running.connector.settled(questions[0])
        try await running.connector.send(OutboundMessage(channel: channel, text: "second answer", replyTo: "$q2"))
        await running.connector.settled(questions[1])
        _ = try await eventually("the second acknowledged") { homeserver.acknowledged.contains { $0.contains("second answer") } ? true : nil }
        _ = try await eventually("the second settled") { store.saved.withLock { $0.handled.contains("$q2") } ? true : nil }
        #expect(slow.arrivals == 1, "the first is still in flight")
        #expect(store.saved.withLock { $0.pending.map(\.eventID) } == ["$q1"], "not settled before its reply is acknowledged")
        slow.open()
        _ = try await eventually("the first settled") { store.saved.withLock { $0.pending.isEmpty } ? true : nil }
        await running.stop()
        #expect(homeserver.requests(containing: "/send/").count == 2)
    }

    @Test func theEditsOfOneReplyAreAcknowledgedInTheOrderTheyWereWritten() async throws {
        let homeserver = FakeHomeserver(user: Self.bot)
        homeserver.enqueueSync(Self.sync("s1"))
        let running = Running(homeserver, store: InMemoryMatrixState())
        _ = try await eventually("the first sync") { homeserver.requests(containing: "/sync").count >= 2 ? true : nil }
        let channel = ChannelKey(network: "matrix", channel: "!r")
        try await running.connector.send(OutboundMessage(channel: channel, text: "Hel", part: .draft, replyTo: "$q"))
        let slow = homeserver.hold(sendsContaining: "Hello wo")
        try await running.connector.send(OutboundMessage(channel: channel, text: "Hello wo", part: .draft, replyTo: "$q"))
        try await running.connector.send(OutboundMessage(channel: channel, text: "Hello world.", part: .complete, replyTo: "$q"))
        _ = try await eventually("the held edit arrived") { slow.arrivals == 1 ? true : nil }
        #expect(homeserver.acknowledged.count == 1, "the last edit waits for the one before")
        slow.open()
        await running.stop()
        let bodies = homeserver.sentContents.map { $0.content["m.new_content"]?["body"]?.string ?? $0.content["body"]?.string ?? "" }
        #expect(bodies == ["Hel", "Hello wo", "Hello world."])
        #expect(homeserver.acknowledged.last?.contains("Hello world.") == true)
    }
}
