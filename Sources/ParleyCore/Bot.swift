public import Foundation
public import Logging

/// The protocol-neutral bot: takes messages from every connector, moderates them, runs commands,
/// and hands questions to the channel sessions that answer them.
///
/// `run()` owns every task: one per connector, one worker per session, one per command. Cancel it
/// (or let a console's input end, with `stopsWhenInputEnds`) and they all stop.
public actor Bot: BotControl {
    /// The bot-wide settings a reload does not change (its name, prefix, limits).
    public nonisolated let configuration: BotConfiguration
    public nonisolated let ignoreList: IgnoreList
    /// What a reload replaces; `installed` is built from it.
    var setup: BotSetup
    var installed: InstalledSetup
    var connectors: [NetworkID: any Connector] = [:]
    /// The store, written behind: no write is awaited on the inbound path.
    let store: WriteBehindStore?
    let clock: any MonotonicClock
    let logger: Logger
    let limiter: Slots
    /// Backends that failed a moment ago, and when they may be asked again.
    let breaker: BackendBreaker
    /// Where channels with `knowledge:` search the operator's documents.
    let knowledge: (any KnowledgeBase)?
    /// Where helpdesk tickets are kept.
    let ticketStore: (any TicketStore)?
    /// Wall-clock time, for tickets and office hours (tests drive it).
    let now: @Sendable () -> Date
    /// Tickets open or claimed, by id.
    var liveTickets: [Int: Ticket] = [:]
    /// The timers that announce unclaimed tickets again.
    var reannouncements: [Int: Task<Void, Never>] = [:]
    /// Lines for staff channels whose network was not up, by network, in order.
    var heldForStaff: [NetworkID: [(text: String, channel: ChannelKey)]] = [:]
    /// "Don't know" answers in a row, per conversation.
    var dontKnowStreak: [SessionKey: Int] = [:]
    /// Reads the config again and applies it (`!reload`, SIGHUP); set by whoever assembled the bot.
    var reloader: (@Sendable () async throws -> String)?

    var sessions: [SessionKey: ChannelSession] = [:]
    /// When each session last took a message, for least-recently-used eviction.
    var sessionUse: [SessionKey: Duration] = [:]
    var seen = RecentMessageIDs(capacity: 4096)
    var paused: Set<ChannelKey> = []
    /// What admins changed in chat, saved in `adminStore` after each change.
    var adminState = AdminState()
    let adminStore: (any AdminStateStore)?
    var repliesSent = 0
    /// How many inbound messages have been fully handled (queued, answered by a command, or
    /// dropped); lets tests know that the bot has seen what they pushed.
    public internal(set) var messagesHandled = 0
    let started: Duration
    /// Work accepted and not finished (events being handled, jobs queued, commands running),
    /// and which messages are still unsettled.
    var work = WorkLedger()
    let idleWaiters = WaitList()
    /// False once shutdown has begun: new messages are left alone (a network that redelivers,
    /// Matrix, hands them over again at the next start).
    public internal(set) var accepting = true
    /// Rings once when the service group asks the bot to stop.
    private nonisolated let shutdownRequests: AsyncStream<Void>
    private nonisolated let shutdownRequest: AsyncStream<Void>.Continuation
    /// Each network's state, from its connector's reports and the supervisor's.
    var networkStates: [NetworkID: NetworkState] = [:]
    /// Each running network's supervisor, so that a reload can stop one alone.
    var networkTasks: [NetworkID: Task<Void, Never>] = [:]
    /// Where connectors report, once `run()` has begun.
    var networkEvents: ConnectorEvents?

    /// - Parameters:
    ///   - inboundHooks: run on every message after the ignore list, in order.
    ///   - outboundHooks: run on every reply part, in order, before the output sanitiser.
    public init(
        configuration: BotConfiguration,
        connectors: [any Connector],
        backends: [any GenerationBackend],
        policies: ChannelPolicies,
        ignoreList: IgnoreList = IgnoreList(),
        inboundHooks: [any ModerationHook] = [],
        outboundHooks: [any ModerationHook] = [],
        sanitizer: OutputSanitizer = OutputSanitizer(),
        plugins: [any Plugin] = [],
        store: (any ConversationStore)? = nil,
        adminStore: (any AdminStateStore)? = nil,
        knowledge: (any KnowledgeBase)? = nil,
        tickets: (any TicketStore)? = nil,
        clock: any MonotonicClock = SystemMonotonicClock(),
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.configuration = configuration
        self.knowledge = knowledge
        self.ticketStore = tickets
        self.now = now
        self.ignoreList = ignoreList
        self.adminStore = adminStore
        self.setup = BotSetup(
            roles: configuration.roles, escalationChannel: configuration.escalationChannel, policies: policies,
            backends: backends, ignore: ignoreList.current, inboundHooks: inboundHooks, outboundHooks: outboundHooks,
            sanitizer: sanitizer, plugins: plugins, connectors: connectors)
        self.installed = InstalledSetup(setup, ignoreList: ignoreList, overrides: [:])
        self.connectors = Dictionary(connectors.map { ($0.network, $0) }, uniquingKeysWith: { first, _ in first })
        self.store = store.map { WriteBehindStore($0, logger: logger) }
        self.clock = clock
        self.logger = logger
        self.limiter = Slots(limit: configuration.maxConcurrentGenerations)
        self.breaker = BackendBreaker(clock: clock)
        self.started = clock.now()
        (shutdownRequests, shutdownRequest) = AsyncStream.makeStream(of: Void.self)
    }

    var policies: ChannelPolicies { installed.policies }
    var plugins: [any Plugin] { installed.plugins }
    var commands: [any Command] { installed.commands }

    /// Begins a graceful shutdown: no new messages are taken, replies in progress finish (within
    /// `drainTime`), connectors send what they hold, then every network stops and `run()` returns.
    public nonisolated func shutDown() {
        shutdownRequest.yield()
    }

    public nonisolated var commandPrefix: String { configuration.commandPrefix }
    public nonisolated var forgetsByNick: Bool { configuration.forgetsByNick }

    /// Runs every connector and answers what they bring until cancelled.
    public func run() async throws {
        await restoreAdminState()
        await restoreTickets()
        let (events, continuation) = AsyncStream.makeStream(of: ConnectorEvent.self)
        let backlog = EventBacklog(limit: configuration.inboundBacklog)
        let sink = ConnectorEvents(continuation, backlog: backlog)
        try await withThrowingDiscardingTaskGroup { group in
            networkEvents = sink
            for connector in connectors.values { startNetwork(connector) }
            if let store {
                group.addTask { await store.run() }
            }
            let shutdownRequests = self.shutdownRequests
            group.addTask {
                for await _ in shutdownRequests {
                    await self.drain()
                    continuation.finish()
                    return
                }
            }
            for await event in events {
                defer {
                    backlog.taken()
                    ParleyMetric.inboundBacklog.record(Double(backlog.count))
                }
                switch event {
                case .message(let message):
                    ParleyMetric.messagesReceived.increment([("network", message.channel.network.rawValue)])
                    guard accepting else { continue }
                    work.begin(message.id)
                    let spawn = await handle(message)
                    for worker in spawn.sessionWorkers {
                        group.addTask { await worker.run() }
                    }
                    for item in spawn.tasks {
                        work.begin(message.id)
                        group.addTask {
                            await item()
                            await self.finish(message)
                        }
                    }
                    messagesHandled += 1
                    await finish(message)
                case .state(let network, let state):
                    networkStates[network] = state
                    if state == .up, heldForStaff[network] != nil {
                        group.addTask { await self.releaseHeldLines(for: network) }
                    }
                case .revised(let channel, let message, let revision):
                    await revise(message, in: channel, revision)
                    if let store { group.addTask { await self.reviseStored(message, in: channel, revision, store: store) } }
                case .membership(let channel, let person, let change):
                    guard !person.isSelf else { continue }
                    for plugin in plugins { await plugin.observe(.membership(channel, person, change)) }
                case .inputEnded(let network):
                    logger.info("input ended", metadata: ["bot.network": "\(network)"])
                    guard configuration.stopsWhenInputEnds else { continue }
                    await waitUntilIdle()
                    await store?.flush()
                    continuation.finish()
                }
            }
            // The input ended or shutdown drained the work: stop every network and worker.
            await stopNetworks(Set(networkTasks.keys))
            for timer in reannouncements.values { timer.cancel() }
            group.cancelAll()
        }
    }

    /// Stops intake, lets the replies in progress finish and the connectors send what they hold,
    /// all within `drainTime`.
    func drain() async {
        accepting = false
        let limit = configuration.drainTime
        logger.info("shutting down: finishing the replies in progress", metadata: [
            "bot.pending": "\(work.pending)", "bot.drain_s": "\(limit.components.seconds)"])
        let connectors = Array(self.connectors.values)
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitUntilIdle()
                for connector in connectors { await connector.drain() }
                await self.store?.flush()
                return true
            }
            group.addTask {
                try? await self.clock.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished {
            logger.warning("replies still in progress when the drain time ran out; they are cut", metadata: ["bot.pending": "\(work.pending)"])
        }
    }

    /// Runs one network's connector; a connector that fails is marked down, logged with what to
    /// do, and started again after a backoff, while every other network goes on. Returns when the
    /// connector ends by itself (a console at end of input) or the bot stops.
    func supervise(_ connector: any Connector, events: ConnectorEvents) async {
        let network = connector.network
        var failures = 0
        while !Task.isCancelled {
            do {
                try await connector.run(events: events)
                return
            } catch {
                if Task.isCancelled || error is CancellationError { return }
                failures += 1
                let delay = configuration.networkRestart.delay(after: failures)
                networkStates[network] = .down(reason: "\(error)")
                logger.error(
                    "network is down; the other networks go on, and this one is tried again later",
                    metadata: [
                        "bot.network": "\(network)", "error": "\(error)",
                        "bot.retry_s": "\(delay.components.seconds)",
                    ])
                do {
                    try await clock.sleep(for: delay)
                } catch {
                    return
                }
                networkStates[network] = .connecting
            }
        }
    }

    /// Waits until no message, job or command is in progress (or the task is cancelled).
    public func waitUntilIdle() async {
        guard !work.isIdle, !Task.isCancelled else { return }
        await idleWaiters.wait(since: idleWaiters.generation)
    }

    /// Returns once everything handed to storage so far is written.
    public func flushStorage() async {
        await store?.flush()
    }

    /// Ends one piece of work on `message`: after its last, the connector is told the message is
    /// settled (unless the work was cut short: called from the task that did it, cancelled means
    /// shutdown, and the message stays for the network to redeliver); then, if nothing else is in
    /// progress, whoever waits for the bot to be idle goes on.
    func finish(_ message: InboundMessage) async {
        if work.finishing(message.id), !Task.isCancelled {
            await connectors[message.channel.network]?.settled(message)
        }
        guard work.finished() else { return }
        idleWaiters.releaseAll()
    }

    // MARK: - Handling a message

    typealias Work = @Sendable () async -> Void

    /// What handling a message asks `run()` to start: short tasks, which count as pending work,
    /// and the workers of new sessions, which live until the session is let go.
    struct Spawn {
        var tasks: [Work] = []
        var sessionWorkers: [ChannelSession] = []

        init(tasks: [Work] = [], sessionWorkers: [ChannelSession] = []) {
            self.tasks = tasks
            self.sessionWorkers = sessionWorkers
        }
    }

    /// Decides what a message asks for; returns the work to run concurrently.
    func handle(_ original: InboundMessage) async -> Spawn {
        guard !original.sender.isSelf else { return Spawn() }
        guard seen.insert(original.id) else {
            logger.debug("duplicate message dropped", metadata: ["bot.message": "\(original.id)"])
            return Spawn()
        }
        let policy = policies.policy(for: original.channel, isDirect: original.isDirect)
        // Moderation first: the hooks see what was written; what asks for what is decided on
        // what they let through (a rewrite is read again, so its address or `!ask` never reaches
        // the prompt). The hooks are told whether the message looks like a request, for limits
        // that count only requests.
        let isRequest = request(in: original, policy: policy) != nil

        let message: InboundMessage
        switch await installed.inbound.review(original, isRequest: isRequest, policy: policy) {
        case .stop(let verdict, let hook):
            await note(verdict, hook: hook, direction: .inbound, channel: original.channel, user: original.sender.id)
            return Spawn(tasks: consequences(of: verdict, for: original, isRequest: isRequest))
        case .proceed(let reviewed, let rewrites):
            for rewrite in rewrites {
                await note(.rewrite(reviewed.text, reason: rewrite.reason), hook: rewrite.hook, direction: .inbound,
                           channel: original.channel, user: original.sender.id)
            }
            message = reviewed
        }

        let request = request(in: message, policy: policy)
        for plugin in plugins { await plugin.observe(.message(message, isRequest: request != nil)) }
        if case .command(let command, let arguments) = request {
            return Spawn(tasks: [commandWork(command, arguments: arguments, message: message)])
        }
        let key = SessionKey(for: message, scope: policy.scope)
        // A person has this customer's ticket: what they write goes to staff, not to the model.
        if let ticket = liveTicket(for: message), ticket.state == .claimed {
            return Spawn(tasks: [{ [self] in await relay(message, for: ticket) }])
        }
        if case .prompt(let prompt) = request {
            let (session, isNew) = await sessionFor(key, policy: policy, isDirect: message.isDirect)
            var spawn = Spawn(sessionWorkers: isNew ? [session] : [])
            // Begun before the job is queued: the session may finish it before `enqueue` returns.
            work.begin(original.id)
            if !(await session.enqueue(message, prompt: prompt, now: clock.now())) {
                work.withdraw(original.id)
                logger.info("queue full; told the sender", metadata: ["bot.session": "\(key)"])
                spawn.tasks.append(replyWork(to: message, policy.text(.busy)))
            }
            return spawn
        }
        if policy.recordsChatter && policy.scope != .user && !message.isDirect {
            let (session, isNew) = await sessionFor(key, policy: policy, isDirect: message.isDirect)
            let entry = ContextEntry(
                role: .user, speaker: message.sender.id, speakerName: message.sender.displayName,
                text: message.text, time: message.time, messageID: message.id)
            await session.record(entry, now: clock.now())
            return Spawn(sessionWorkers: isNew ? [session] : [])
        }
        return Spawn()
    }

    /// What a message asks of the bot.
    enum Request {
        case command(any Command, arguments: String)
        case prompt(String)
    }

    /// The command a message runs or the question it asks, if either. Senders the network marks
    /// as bots (IRCv3 `bot` tag, Matrix notices) ask nothing unless the channel answers bots, so
    /// two bots never talk each other into a loop.
    func request(in message: InboundMessage, policy: ChannelPolicy) -> Request? {
        guard !message.sender.isBot || policy.answersBots else { return nil }
        if let command = parseCommand(message) { return .command(command.command, arguments: command.arguments) }
        guard !paused.contains(message.channel),
              let prompt = triggeredPrompt(message, triggers: policy.triggers, askCommand: commandPrefix + configuration.askCommand)
        else { return nil }
        return .prompt(prompt)
    }

    /// The command a message runs, if any: the prefix and a known command word. Unknown
    /// commands are answered only when the message was addressed to the bot or direct, so that
    /// several bots can share a prefix in one channel.
    func parseCommand(_ message: InboundMessage) -> (command: any Command, arguments: String)? {
        let body = message.body
        guard body.hasPrefix(commandPrefix) else { return nil }
        let afterPrefix = body.dropFirst(commandPrefix.count)
        let word = afterPrefix.prefix { !$0.isWhitespace }.lowercased()
        guard !word.isEmpty, word != configuration.askCommand else { return nil }
        let arguments = afterPrefix.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
        if let command = commands.first(where: { $0.name == word || $0.aliases.contains(word) }) {
            return (command, arguments)
        }
        guard message.isDirect || message.addressing != .none else { return nil }
        return (UnknownCommand(word: word), arguments)
    }

    func commandWork(_ command: any Command, arguments: String, message: InboundMessage) -> Work {
        return { [self] in
            let reply: String?
            let policy = await policy(of: message)
            let roles = await roles(of: message.sender, in: message.channel)
            if !command.isAllowed(to: roles) {
                logger.notice(
                    "admin command refused",
                    metadata: [
                        "bot.command": "\(command.name)", "bot.channel": "\(message.channel)",
                        "bot.sender": "\(message.sender.displayName)",
                        "bot.account": "\(message.sender.account ?? "none")",
                    ])
                reply = policy.text(.adminOnly(command: commandPrefix + command.name))
            } else {
                do {
                    reply = try await command.run(CommandInvocation(message: message, arguments: arguments, bot: self))
                } catch {
                    logger.error("command failed", metadata: ["bot.command": "\(command.name)", "error": "\(error)"])
                    reply = (error as? any UserPresentableError)?.userMessage
                        ?? policy.text(.commandFailed(command: commandPrefix + command.name))
                }
            }
            if let reply { await deliver(reply, to: message) }
        }
    }

    func replyWork(to message: InboundMessage, _ text: String) -> Work {
        { [self] in await deliver(text, to: message) }
    }

    /// The policy of the channel `message` was said in.
    func policy(of message: InboundMessage) -> ChannelPolicy {
        policies.policy(for: message.channel, isDirect: message.isDirect)
    }

    /// Sends a short answer of the bot's own (a command's reply, a warning) through the outbox.
    func deliver(_ text: String, to message: InboundMessage) async {
        await outbox.say(text, to: .reply(to: message), names: await sessionNames(for: message))
    }

    /// Says `text` in `channel` on the bot's own account, answering no one (a plugin's
    /// reminder), through the outbox like everything else; false when moderation stopped it or
    /// the network has no such channel or refused it.
    @discardableResult
    public func announce(_ text: String, in channel: ChannelKey) async -> Bool {
        await outbox.say(text, to: .note(in: channel))
    }

    /// The one way out (`Outbox`), reporting its verdicts to the moderation log.
    var outbox: Outbox {
        Outbox(
            connectors: connectors, pipeline: installed.outbound, policies: policies, clock: clock, logger: logger,
            report: { [self] verdict, hook, channel in
                await note(verdict, hook: hook, direction: .outbound, channel: channel, user: nil)
            })
    }

    /// The names of the people in the conversation `message` belongs to, if it has a session.
    func sessionNames(for message: InboundMessage) async -> [String] {
        let policy = policies.policy(for: message.channel, isDirect: message.isDirect)
        guard let session = sessions[SessionKey(for: message, scope: policy.scope)] else { return [] }
        return await session.knownNames
    }
}

/// What an unknown command word runs when the sender clearly meant the bot.
private struct UnknownCommand: Command {
    let word: String
    var name: String { word }
    let summary = ""

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let prefix = invocation.bot.commandPrefix
        return await invocation.bot.sentence(.unknownCommand(command: prefix + word, help: prefix + "help"), for: invocation.message)
    }
}
