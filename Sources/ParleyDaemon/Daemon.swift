public import Logging
import ParleyBackends
import ParleyInference
import ParleyIRC
import ParleyMatrix
import ParleyPlugins
public import ParleyCore
public import ParleyHTTP
import ParleyStore
public import ServiceLifecycle
import Synchronization
import UnixSignals

/// Builds Parley from a config: the store, the backends, the connectors, the bot, and the
/// service group that runs them. `parley run` and `parley chat` are this plus `run()`.
public enum Daemon {
    /// What to run.
    public enum Mode: Sendable {
        /// Every configured network, until SIGTERM or SIGINT.
        case daemon
        /// The console only, until its input ends and every reply is out.
        case chat
    }

    /// The parts, built and wired, ready to run.
    public struct Assembly: Sendable {
        public let bot: Bot
        public let group: ServiceGroup

        /// Runs every service until shutdown: the first SIGTERM or SIGINT drains (graceful
        /// shutdown), a second one cuts at once. Either way it returns normally.
        public func run() async throws {
            let group = self.group
            do {
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    tasks.addTask {
                        var signals = 0
                        for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                            signals += 1
                            if signals == 1 {
                                await group.triggerGracefulShutdown()
                            } else {
                                return  // the second signal: cut at once
                            }
                        }
                    }
                    try await tasks.next()
                    tasks.cancelAll()
                }
            } catch is CancellationError {
                return
            }
        }
    }

    /// Wires everything the config names.
    ///
    /// - Parameter consoleIO: replaces standard input and output for console networks (tests).
    /// - Parameter plugins: Swift plugins of the embedding program, beside the configured
    ///   plugin processes.
    public static func assemble(
        _ configuration: ParleyConfiguration,
        mode: Mode,
        logger: Logger,
        plugins: [any Plugin] = [],
        consoleIO: (input: @Sendable () -> String?, output: @Sendable (String) -> Void)? = nil
    ) throws -> Assembly {
        let store = try SQLiteStore(path: configuration.storage.path, retention: configuration.storage.retention)
        // One HTTP layer for the process: a homeserver or model server named twice is one
        // session with its connections kept alive.
        let http = URLSessionHTTPClient()
        let backends = try makeBackends(configuration, logger: logger, http: http)
        var networks = configuration.networks
        if mode == .chat {
            networks = networks.filter { if case .console = $0.kind { true } else { false } }
            if networks.isEmpty {
                networks = [NetworkConfiguration(name: "console", kind: .console(user: "you"))]
            }
        }
        let connectors: [any Connector] = networks.map { network in
            switch network.kind {
            case .console(let user):
                if let consoleIO {
                    ConsoleConnector(
                        network: network.name, user: user, botName: configuration.bot.name,
                        input: consoleIO.input, output: consoleIO.output)
                } else {
                    ConsoleConnector(network: network.name, user: user, botName: configuration.bot.name)
                }
            case .irc(let irc):
                IRCConnector(
                    configuration: irc, logger: Self.networkLogger(logger, network.name),
                    stsStore: StoredSTSPolicies(store: store))
            case .matrix(let matrix):
                MatrixConnector(
                    configuration: matrix, logger: Self.networkLogger(logger, network.name),
                    store: StoredMatrixState(store: store), http: http)
            }
        }
        var botConfiguration = configuration.bot
        botConfiguration.stopsWhenInputEnds = mode == .chat
        let moderation = configuration.moderation
        var inboundHooks: [any ModerationHook] = [
            RateLimitHook(perUser: moderation.perUser, perChannel: moderation.perChannel),
            InputLengthHook(maxCharacters: moderation.maxInputCharacters),
        ]
        var outboundHooks: [any ModerationHook] = []
        if !moderation.blocklist.isEmpty {
            let blocklist = BlocklistHook(rules: moderation.blocklist)
            inboundHooks.insert(blocklist, at: 0)
            outboundHooks.append(blocklist)
        }
        let pluginStore = StoredPluginValues(store: store)
        let pluginHosts = configuration.plugins.map { plugin in
            PluginHost(configuration: plugin, logger: logger, store: pluginStore)
        }
        let bot = Bot(
            configuration: botConfiguration,
            connectors: connectors,
            backends: backends,
            policies: configuration.policies,
            ignoreList: IgnoreList(moderation.ignore),
            inboundHooks: inboundHooks,
            outboundHooks: outboundHooks,
            sanitizer: OutputSanitizer(maxMentions: moderation.maxMentionsPerReply),
            plugins: plugins + pluginHosts.map(ProcessPlugin.init) + [PluginAdministration(hosts: pluginHosts)],
            store: store,
            adminStore: store,
            logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: RetentionService(store: store, interval: .seconds(3600)))]
                + pluginHosts.map { .init(service: PluginService(host: $0, bot: bot)) }
                + [.init(service: BotService(bot: bot, plugins: pluginHosts), successTerminationBehavior: .gracefullyShutdownGroup)],
            logger: logger)
        // The bot bounds its own drain; this is the backstop should anything hang past it.
        groupConfiguration.maximumGracefulShutdownDuration = botConfiguration.drainTime + .seconds(10)
        let group = ServiceGroup(configuration: groupConfiguration)
        return Assembly(bot: bot, group: group)
    }

    /// A logger that tags every line with the network it concerns.
    static func networkLogger(_ logger: Logger, _ network: NetworkID) -> Logger {
        var logger = logger
        logger[metadataKey: "bot.network"] = "\(network)"
        return logger
    }

    /// Every configured backend, ready to generate (local models loaded).
    public static func makeBackends(
        _ configuration: ParleyConfiguration, logger: Logger, http: any HTTPClient = URLSessionHTTPClient()
    ) throws -> [any GenerationBackend] {
        try configuration.backends.map { backend in
            switch backend.kind {
            case .echo:
                return EchoBackend(name: backend.name, contextWindow: backend.contextWindow)
            case .local(let local):
                logger.info("loading model", metadata: ["gen.backend": "\(backend.name)", "gen.model": "\(local.model)"])
                let model = try LanguageModel(path: local.model, contextLength: backend.contextWindow, threads: local.threads)
                let engine = InferenceEngine(model: model, cachedConversations: local.cachedConversations)
                return LocalBackend(name: backend.name, engine: engine)
            case .openAI(let openAI):
                return OpenAICompatibleBackend(configuration: openAI, logger: logger, http: http)
            }
        }
    }

    /// Runs `parley chat` in-process on `lines` of console input and returns what the console
    /// printed, once the input has ended and every reply is out (tests, and embedders that want
    /// one exchange without a terminal).
    public static func chat(
        _ configuration: ParleyConfiguration, input lines: [String], logger: Logger, plugins: [any Plugin] = []
    ) async throws -> String {
        let input = Mutex(lines)
        let output = Mutex("")
        let assembly = try assemble(
            configuration, mode: .chat, logger: logger, plugins: plugins,
            consoleIO: (
                input: { input.withLock { $0.isEmpty ? nil : $0.removeFirst() } },
                output: { text in output.withLock { $0 += text } }
            ))
        try await assembly.run()
        return output.withLock { $0 }
    }
}
