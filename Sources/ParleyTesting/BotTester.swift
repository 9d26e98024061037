public import ParleyCore
public import Logging
public import Foundation

/// Runs a whole bot in-process over an in-memory connector: push a message in, await the reply.
///
/// ```swift
/// let tester = BotTester(backend: ScriptedBackend(replying: "hello"))
/// let reply = try await tester.reply(to: "parley: hi")
/// ```
public final class BotTester: Sendable {
    public let bot: Bot
    public let connector: InMemoryConnector
    public let clock: TestClock
    private let running: Task<Void, any Error>
    private let counter = Locked(0)

    public static let channel = "#test"
    public static let alice = Sender(id: "alice", displayName: "alice", account: "alice")

    public init(
        configuration: BotConfiguration = BotConfiguration(),
        policy: ChannelPolicy? = nil,
        policies: ChannelPolicies? = nil,
        backends: [any GenerationBackend],
        capabilities: ConnectorCapabilities = ConnectorCapabilities(),
        ignoreList: IgnoreList = IgnoreList(),
        inboundHooks: [any ModerationHook] = [],
        outboundHooks: [any ModerationHook] = [],
        sanitizer: OutputSanitizer = OutputSanitizer(),
        plugins: [any Plugin] = [],
        store: (any ConversationStore)? = nil,
        adminStore: (any AdminStateStore)? = nil,
        knowledge: (any KnowledgeBase)? = nil,
        tickets: (any TicketStore)? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        clock: TestClock = TestClock(),
        logger: Logger = Logger(label: "parley.test", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        let connector = InMemoryConnector(network: "test", capabilities: capabilities)
        let resolved = policies ?? ChannelPolicies(
            fallback: policy ?? ChannelPolicy(backend: backends.first?.name ?? "scripted"))
        let bot = Bot(
            configuration: configuration, connectors: [connector], backends: backends, policies: resolved,
            ignoreList: ignoreList, inboundHooks: inboundHooks, outboundHooks: outboundHooks,
            sanitizer: sanitizer, plugins: plugins, store: store, adminStore: adminStore, knowledge: knowledge,
            tickets: tickets, clock: clock, now: now, logger: logger)
        self.bot = bot
        self.connector = connector
        self.clock = clock
        self.running = Task { try await bot.run() }
    }

    /// A convenience for a tester with one backend.
    public convenience init(backend: any GenerationBackend, policy: ChannelPolicy? = nil, store: (any ConversationStore)? = nil) {
        self.init(policy: policy, backends: [backend], store: store)
    }

    deinit {
        running.cancel()
    }

    /// Stops the bot as SIGTERM does (replies in progress finish, storage is flushed) and waits
    /// for it to finish.
    public func stop() async {
        bot.shutDown()
        _ = await running.result
    }

    /// Pushes a message into the bot; returns it as sent.
    @discardableResult
    public func say(
        _ text: String,
        from sender: Sender = BotTester.alice,
        in channel: String = BotTester.channel,
        isDirect: Bool = false,
        thread: ThreadID? = nil,
        botName: String = "parley"
    ) -> InboundMessage {
        let number = counter.withLock { value in
            value += 1
            return value
        }
        let message = InboundMessage(
            id: MessageID("m\(number)"),
            channel: ChannelKey(network: connector.network, channel: channel),
            sender: sender, text: text, isDirect: isDirect,
            addressing: Addressing.detect(in: text, names: [botName]), thread: thread)
        connector.push(message)
        return message
    }

    /// Waits until the connector has sent at least `count` messages in all; returns them all.
    public func sentMessages(atLeast count: Int, timeout: Duration = .seconds(30)) async throws -> [OutboundMessage] {
        try await eventually("\(count) sent messages", timeout: timeout) {
            let sent = connector.sent
            return sent.count >= count ? sent : nil
        }
    }

    /// Says `text` and returns the text of the next complete message the bot sends.
    public func reply(
        to text: String,
        from sender: Sender = BotTester.alice,
        in channel: String = BotTester.channel,
        isDirect: Bool = false,
        thread: ThreadID? = nil
    ) async throws -> String {
        let before = connector.sent.count
        say(text, from: sender, in: channel, isDirect: isDirect, thread: thread)
        let sent = try await sentMessages(atLeast: before + 1)
        return sent[before].text
    }

    /// Waits until the bot has finished all it was given.
    public func settle() async throws {
        let pushed = counter.withLock { $0 }
        _ = try await eventually("the bot to take \(pushed) messages") {
            await bot.messagesHandled >= pushed ? true : nil
        }
        await bot.waitUntilIdle()
        await bot.flushStorage()
    }
}
