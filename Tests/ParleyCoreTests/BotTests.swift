import Foundation
import Logging
@testable import ParleyCore
import ParleyTesting
import Testing

@Suite struct BotTests {
    static let bob = Sender(id: "bob", displayName: "bob", account: "bob")

    @Test func repliesToAnAddressedMessageInItsChannel() async throws {
        let tester = BotTester(backend: ScriptedBackend(replying: "Hello, alice."))
        let message = tester.say("parley: hi")
        let sent = try await tester.sentMessages(atLeast: 1)
        #expect(sent[0].text == "Hello, alice.")
        #expect(sent[0].channel == message.channel)
        #expect(sent[0].replyTo == message.id)
    }

    @Test func settlesAMessageOnlyOnceItsReplyIsOutAndSettlesChatterAtOnce() async throws {
        let gate = Gate()
        let backend = ScriptedBackend { _ in
            await gate.wait()
            return ["done"]
        }
        let tester = BotTester(backend: backend)
        let chatter = tester.say("just talking")
        let question = tester.say("parley: a question")
        _ = try await eventually("the generation to start") { gate.arrivals == 1 ? true : nil }
        _ = try await eventually("the chatter to settle") { tester.connector.settledMessages.contains(chatter.id) ? true : nil }
        #expect(!tester.connector.settledMessages.contains(question.id))
        gate.open()
        _ = try await tester.sentMessages(atLeast: 1)
        _ = try await eventually("the question to settle") { tester.connector.settledMessages.contains(question.id) ? true : nil }
        #expect(tester.connector.settledMessages.filter { $0 == question.id }.count == 1)
    }

    @Test func keepsChannelsContextsApart() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(backend: backend)
        _ = try await tester.reply(to: "parley: secret in one", in: "#one")
        _ = try await tester.reply(to: "parley: question in two", in: "#two")
        let second = try #require(backend.requests.last)
        #expect(!second.messages.contains { $0.content.contains("secret") })
        #expect(second.messages.map(\.content) == [ChannelPolicy.defaultSystemPrompt, "alice: question in two"])
    }

    @Test func keepsUsersContextsApartInPerUserScope() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(backend: backend, policy: ChannelPolicy(scope: .user, backend: backend.name))
        _ = try await tester.reply(to: "parley: my order is 42", from: BotTester.alice)
        _ = try await tester.reply(to: "parley: my order?", from: Self.bob)
        _ = try await tester.reply(to: "parley: and mine?", from: BotTester.alice)
        let requests = backend.requests
        #expect(requests[1].messages.dropFirst().map(\.content) == ["bob: my order?"])
        #expect(requests[2].messages.dropFirst().map(\.content) == ["alice: my order is 42", "ok", "alice: and mine?"])
    }

    @Test func sharesContextWithTheWholeChannelInChannelScope() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(backend: backend, policy: ChannelPolicy(backend: backend.name, recordsChatter: true))
        tester.say("the build is red", from: Self.bob)
        _ = try await tester.reply(to: "parley: why is the build red?")
        let request = try #require(backend.requests.last)
        #expect(request.messages.dropFirst().map(\.content) == ["bob: the build is red", "alice: why is the build red?"])
    }

    @Test func answersQueuedMessagesInOrderAndTellsTheSenderWhenTheQueueIsFull() async throws {
        let gate = Gate()
        let backend = ScriptedBackend { request in
            await gate.wait()
            return [request.messages.last?.content ?? ""]
        }
        let tester = BotTester(backend: backend, policy: ChannelPolicy(backend: backend.name, queueLimit: 2))
        tester.say("parley: one")
        _ = try await eventually("the first generation to start") { gate.arrivals == 1 ? true : nil }
        tester.say("parley: two")
        tester.say("parley: three")
        tester.say("parley: four")
        let busy = try await tester.sentMessages(atLeast: 1)
        #expect(busy.map(\.text) == ["I'm still answering earlier messages here; please ask again in a moment."])
        gate.open()
        let sent = try await tester.sentMessages(atLeast: 4)
        #expect(sent.dropFirst().map(\.text) == ["alice: one", "alice: two", "alice: three"])
        try await tester.settle()
        #expect(backend.requests.count == 3)
    }

    @Test func limitsConcurrentGenerationsAcrossChannels() async throws {
        let gate = Gate()
        let backend = ScriptedBackend { _ in
            await gate.wait()
            return ["done"]
        }
        let tester = BotTester(
            configuration: BotConfiguration(maxConcurrentGenerations: 1), policy: ChannelPolicy(backend: backend.name),
            backends: [backend])
        tester.say("parley: a", in: "#a")
        tester.say("parley: b", in: "#b")
        _ = try await eventually("one generation to start") { gate.arrivals == 1 ? true : nil }
        // The other waits for the limiter, not for time: its session is parked there.
        _ = try await eventually("the second to wait for a slot") { await tester.bot.limiter.waiting == 1 ? true : nil }
        #expect(gate.arrivals == 1)
        gate.open()
        _ = try await tester.sentMessages(atLeast: 2)
        #expect(gate.arrivals == 2)
    }

    @Test func dropsItsOwnMessagesAndDuplicates() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(backend: backend)
        let me = Sender(id: "parley", displayName: "parley", isSelf: true)
        tester.say("parley: talking to myself", from: me)
        let message = tester.say("parley: once")
        tester.connector.push(message)
        try await tester.settle()
        #expect(backend.requests.count == 1)
        #expect(tester.connector.sent.count == 1)
    }

    @Test func resetClearsTheContextAndCancelsTheReplyInProgress() async throws {
        let gate = Gate()
        let backend = ScriptedBackend { request in
            if request.messages.last?.content == "alice: slow" { await gate.wait() }
            return ["ok"]
        }
        let tester = BotTester(backend: backend)
        _ = try await tester.reply(to: "parley: remember 7")
        tester.say("parley: slow")
        _ = try await eventually("the slow generation to start") { gate.arrivals == 1 ? true : nil }
        #expect(try await tester.reply(to: "!reset") == "Context cleared; I've forgotten this conversation.")
        _ = try await tester.reply(to: "parley: what did I say?")
        let last = try #require(backend.requests.last)
        #expect(last.messages.dropFirst().map(\.content) == ["alice: what did I say?"])
        gate.open()
        try await tester.settle()
        #expect(!tester.connector.sent.contains { $0.replyTo != nil && $0.text == "ok" && $0.channel.channel != "#test" })
    }

    @Test func fallsBackToTheNextBackendWhenTheFirstFails() async throws {
        struct Down: Error {}
        let primary = ScriptedBackend(name: "primary") { _ in throw Down() }
        let fallback = ScriptedBackend(name: "fallback", replying: "from fallback")
        let tester = BotTester(
            policy: ChannelPolicy(backend: "primary", fallbacks: ["fallback"]), backends: [primary, fallback])
        #expect(try await tester.reply(to: "parley: hi") == "from fallback")
    }

    @Test func tellsTheChannelInOneSentenceWhenEveryBackendFails() async throws {
        struct Down: Error {}
        let primary = ScriptedBackend(name: "primary") { _ in throw Down() }
        let tester = BotTester(backend: primary)
        #expect(try await tester.reply(to: "parley: hi") == GenerationError.backendFailed(backend: "", detail: "").userMessage)
        #expect(try await tester.reply(to: "!ping") == "pong")
    }

    @Test func deliversEachLineAsItCompletesOnLineConnectors() async throws {
        let backend = ScriptedBackend { _ in ["first ", "line\nsecond", " line\n", "third"] }
        let tester = BotTester(
            policy: ChannelPolicy(backend: backend.name), backends: [backend],
            capabilities: ConnectorCapabilities(streaming: .lines))
        tester.say("parley: three lines please")
        let sent = try await tester.sentMessages(atLeast: 3)
        #expect(sent.map(\.text) == ["first line", "second line", "third"])
        #expect(sent.allSatisfy { $0.part == .complete })
    }

    @Test func streamsFragmentsAndEndsTheStreamOnFragmentConnectors() async throws {
        let tester = BotTester(
            policy: ChannelPolicy(backend: "scripted"), backends: [ScriptedBackend(replying: "a b c")],
            capabilities: ConnectorCapabilities(streaming: .fragments))
        tester.say("parley: go")
        let sent = try await tester.sentMessages(atLeast: 4)
        #expect(sent.map(\.text) == ["a ", "b ", "c", ""])
        #expect(sent.map(\.part) == [.fragment, .fragment, .fragment, .end])
    }

    @Test func aConversationLetGoForRoomComesBackFromStorage() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(
            configuration: BotConfiguration(maxSessions: 2), policy: ChannelPolicy(backend: backend.name),
            backends: [backend], store: InMemoryConversationStore())
        _ = try await tester.reply(to: "parley: remember a", in: "#a")
        _ = try await tester.reply(to: "parley: in b", in: "#b")
        _ = try await tester.reply(to: "parley: in c", in: "#c")
        // Asked directly, not said in the channel: a "!status" reply racing the next reply would
        // be taken for it.
        let probe = InboundMessage(
            id: "probe", channel: ChannelKey(network: tester.connector.network, channel: "#c"), sender: BotTester.alice, text: "")
        #expect(await tester.bot.status(of: probe).sessions == 2)
        _ = try await tester.reply(to: "parley: what was a?", in: "#a")
        let request = try #require(backend.requests.last)
        #expect(request.messages.dropFirst().map(\.content) == ["alice: remember a", "ok", "alice: what was a?"])
    }

    @Test func keepsThreadsContextsApartInThreadScope() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(backend: backend, policy: ChannelPolicy(scope: .thread, backend: backend.name))
        _ = try await tester.reply(to: "parley: topic one", thread: "t1")
        _ = try await tester.reply(to: "parley: topic two", thread: "t2")
        let answer = try await tester.reply(to: "parley: more on one", thread: "t1")
        #expect(answer == "ok")
        let requests = backend.requests
        #expect(requests[1].messages.dropFirst().map(\.content) == ["alice: topic two"])
        #expect(requests[2].messages.dropFirst().map(\.content) == ["alice: topic one", "ok", "alice: more on one"])
        #expect(tester.connector.sent.map(\.thread) == ["t1", "t2", "t1"])
    }

    @Test func aBackendThatFailsMidReplyKeepsWhatWasSaidAndTellsTheChannel() async throws {
        struct Broken: Error {}
        let backend = ScriptedBackend { _ in
            throw Broken()
        }
        let partial = PartialBackend()
        let tester = BotTester(
            policy: ChannelPolicy(backend: partial.name, fallbacks: [backend.name]), backends: [partial, backend],
            capabilities: ConnectorCapabilities(streaming: .lines))
        tester.say("parley: go")
        let sent = try await tester.sentMessages(atLeast: 2)
        #expect(sent.map(\.text) == ["first line", GenerationError.backendFailed(backend: "", detail: "").userMessage])
        try await tester.settle()
        #expect(backend.requests.isEmpty, "a fallback after visible text would answer twice")
    }
}

/// Streams one complete line, then fails.
struct PartialBackend: GenerationBackend {
    struct Broken: Error {}
    let name: BackendName = "partial"
    let contextWindow = 4096

    func tokenCount(of message: ChatMessage) -> Int { 1 }

    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error> {
        AsyncThrowingStream { continuation in
            continuation.yield(GenerationChunk(text: "first line\nsecond"))
            continuation.finish(throwing: Broken())
        }
    }
}

extension BotTests {
    struct Unavailable: Error {}

    @Test(arguments: [false, true])
    func aFallbackAnswersQuietlyUnlessTheChannelWantsItSaid(announce: Bool) async throws {
        let primary = ScriptedBackend(name: "primary") { _ in throw Unavailable() }
        let spare = ScriptedBackend(name: "spare", replying: "From the spare.")
        let tester = BotTester(
            policy: ChannelPolicy(backend: "primary", fallbacks: ["spare"], announcesFallback: announce), backends: [primary, spare])
        #expect(try await tester.reply(to: "parley: hi") == "From the spare.")
        if announce {
            let sent = try await tester.sentMessages(atLeast: 2)
            #expect(sent[1].text == "(primary did not answer; this reply came from spare.)")
        } else {
            try await tester.settle()
            #expect(tester.connector.sent.count == 1)
        }
    }

    // Issue 19, item 7: a reply the network refuses is never lost in silence; the asker hears it.
    @Test func anUndeliverableReplyIsToldToTheAsker() async throws {
        struct Refused: Error {}
        let tester = BotTester(backend: ScriptedBackend(replying: "an answer the network refuses"))
        tester.connector.refuseSends { $0.text.contains("refuses") ? Refused() : nil }
        let message = tester.say("parley: hi")
        let sent = try await tester.sentMessages(atLeast: 1)
        #expect(sent[0].text.hasPrefix("Sorry, my answer could not be delivered here"))
        #expect(sent[0].replyTo == message.id && sent[0].channel == message.channel)
    }

    // Issue 11: no bot loops. A sender the network marks as a bot is not answered (nor runs
    // commands) unless the channel says so; its words still enter the context.
    @Test func botsAreNotAnsweredUnlessTheChannelSaysSo() async throws {
        let relay = Sender(id: "relay", displayName: "relay", account: "relay", isBot: true)
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(backend: backend, policy: ChannelPolicy(backend: backend.name, recordsChatter: true))
        tester.say("parley: are you a bot too?", from: relay)
        tester.say("!ping", from: relay)
        try await tester.settle()
        #expect(tester.connector.sent.isEmpty && backend.requests.isEmpty)
        _ = try await tester.reply(to: "parley: what did relay ask?")
        #expect(backend.requests.last?.messages.contains { $0.content.contains("are you a bot too?") } == true)

        let answering = BotTester(policy: ChannelPolicy(backend: backend.name, answersBots: true), backends: [backend])
        #expect(try await answering.reply(to: "parley: hello", from: relay) == "ok")
    }

    /// A network whose connector fails (a revoked token) a given number of times, then runs.
    final class FailingConnector: Connector {
        struct Revoked: Error, CustomStringConvertible {
            var description: String { "the access token was revoked; set a new one and restart" }
        }
        let network: NetworkID = "matrix"
        let capabilities = ConnectorCapabilities()
        let failuresLeft: Locked<Int>
        let runs = Locked(0)

        init(failures: Int) { failuresLeft = Locked(failures) }

        func run(events: ConnectorEvents) async throws {
            runs.withLock { $0 += 1 }
            let fail = failuresLeft.withLock { left in
                defer { left -= 1 }
                return left > 0
            }
            if fail { throw Revoked() }
            events.emit(.state(network, .up))
            try await Task.sleep(for: .seconds(3600))
        }

        func send(_ message: OutboundMessage) async throws {}
    }

    // Issue 11: networks fail alone. A network whose connector throws is marked down and started
    // again on its own schedule; every other network keeps answering meanwhile.
    @Test func aFailingNetworkIsMarkedDownAndRetriedWhileTheOthersKeepAnswering() async throws {
        let good = InMemoryConnector(network: "irc")
        let failing = FailingConnector(failures: 3)
        let backend = ScriptedBackend(replying: "still here")
        let bot = Bot(
            configuration: BotConfiguration(networkRestart: Backoff(base: .milliseconds(50), cap: .milliseconds(100))),
            connectors: [good, failing], backends: [backend], policies: ChannelPolicies(fallback: ChannelPolicy(backend: backend.name)),
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        let question = InboundMessage(
            id: "q1", channel: ChannelKey(network: "irc", channel: "#c"), sender: BotTester.alice, text: "parley: hi",
            addressing: .addressed(body: "hi"))
        _ = try await eventually("the failing network marked down") {
            await bot.status(of: question).networks.contains { $0.network == "matrix" && $0.state == .down(reason: "the access token was revoked; set a new one and restart") } ? true : nil
        }
        good.push(question)
        _ = try await eventually("the other network's answer") { good.sent.first?.text == "still here" ? true : nil }
        let status = try await eventually("the status command's report") { () -> String? in
            good.push(InboundMessage(id: MessageID("s\(UUID())"), channel: question.channel, sender: BotTester.alice, text: "!status"))
            return good.sent.last.flatMap { $0.text.contains("Networks:") ? $0.text : nil }
        }
        #expect(status.contains("irc up") || status.contains("irc connecting"), "\(status)")
        _ = try await eventually("the failing network back up after its retries") {
            await bot.status(of: question).networks.contains { $0.network == "matrix" && $0.state == .up } ? true : nil
        }
        #expect(failing.runs.withLock { $0 } == 4)
    }

    // Issue 11: services and drain. On shutdown the bot takes no new message, lets the reply in
    // progress finish, has its connectors send what they hold, and only then stops.
    @Test func shutdownLetsTheReplyInProgressFinishAndTakesNothingNew() async throws {
        let gate = Gate()
        let backend = ScriptedBackend { request in
            if request.messages.last?.content.contains("first") == true { await gate.wait() }
            return ["answered"]
        }
        let connector = InMemoryConnector(network: "irc")
        let bot = Bot(
            configuration: BotConfiguration(drainTime: .seconds(60)), connectors: [connector], backends: [backend],
            policies: ChannelPolicies(fallback: ChannelPolicy(backend: backend.name)),
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await bot.run() }
        func ask(_ text: String) -> InboundMessage {
            let message = InboundMessage(
                id: MessageID(text), channel: ChannelKey(network: "irc", channel: "#c"), sender: BotTester.alice,
                text: "parley: \(text)", addressing: .addressed(body: text))
            connector.push(message)
            return message
        }
        let first = ask("first")
        _ = try await eventually("the first reply under way") { gate.arrivals == 1 ? true : nil }
        bot.shutDown()
        _ = try await eventually("intake stopped") { await bot.accepting ? nil : true }
        _ = ask("second, after the shutdown began")
        gate.open()
        try await running.value
        #expect(connector.sent.map(\.text) == ["answered"])
        #expect(connector.sent.first?.replyTo == first.id)
        #expect(connector.settledMessages == [first.id], "the late message stays unsettled, for a network to redeliver")
    }

    @Test func shutdownCutsAReplyThatOutlastsTheDrainTime() async throws {
        let gate = Gate()
        let backend = ScriptedBackend { _ in
            await gate.wait()
            return ["never"]
        }
        let connector = InMemoryConnector(network: "irc")
        let bot = Bot(
            configuration: BotConfiguration(drainTime: .milliseconds(100)), connectors: [connector], backends: [backend],
            policies: ChannelPolicies(fallback: ChannelPolicy(backend: backend.name)),
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await bot.run() }
        connector.push(InboundMessage(
            id: "q", channel: ChannelKey(network: "irc", channel: "#c"), sender: BotTester.alice, text: "parley: hi",
            addressing: .addressed(body: "hi")))
        _ = try await eventually("the reply under way") { gate.arrivals == 1 ? true : nil }
        bot.shutDown()
        try await running.value
        #expect(connector.sent.isEmpty && connector.settledMessages.isEmpty)
        gate.open()
    }
}
