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
import UnixSignals

/// Builds Parley from a config: the store, the backends, the connectors, the bot, and the
/// service group that runs them. `parley run` and `parley chat` are this plus `run()`.
public enum Daemon {
    /// Replaces standard input and output for console networks.
    public struct ConsoleIO: Sendable {
        public var input: @Sendable () -> String?
        public var output: @Sendable (String) -> Void

        public init(input: @escaping @Sendable () -> String?, output: @escaping @Sendable (String) -> Void) {
            self.input = input
            self.output = output
        }
    }

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
        /// Reads the config again and applies it (SIGHUP, `!reload`).
        public let reloader: Reloader

        /// Runs every service until shutdown: the first SIGTERM or SIGINT drains (graceful
        /// shutdown), a second one cuts at once. Either way it returns normally.
        public func run() async throws {
            let group = self.group
            do {
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    let reloader = self.reloader
                    tasks.addTask { try await group.run() }
                    tasks.addTask {
                        var signals = 0
                        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup) {
                            if signal == .sighup {
                                _ = await reloader.reloadFromSource()
                                continue
                            }
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
    /// - Parameter source: reads the config again for a reload (SIGHUP, `!reload`); without it
    ///   the bot cannot reload.
    public static func assemble(
        _ configuration: ParleyConfiguration,
        mode: Mode,
        logger: Logger,
        plugins: [any Plugin] = [],
        consoleIO: ConsoleIO? = nil,
        source: (@Sendable () throws -> ParleyConfiguration)? = nil
    ) throws -> Assembly {
        let store = try SQLiteStore(path: configuration.storage.path, retention: configuration.storage.retention)
        // One HTTP layer for the process: a homeserver or model server named twice is one
        // session with its connections kept alive.
        let http = CurlHTTPClient()
        let parts = DaemonParts(mode: mode, store: store, http: http, logger: logger, swiftPlugins: plugins, consoleIO: consoleIO)
        let built = try parts.build(configuration, keeping: nil)
        var botConfiguration = configuration.bot
        botConfiguration.stopsWhenInputEnds = mode == .chat
        let setup = built.setup
        let bot = Bot(
            configuration: botConfiguration,
            connectors: setup.connectors,
            backends: setup.backends,
            policies: setup.policies,
            ignoreList: IgnoreList(setup.ignore),
            inboundHooks: setup.inboundHooks,
            outboundHooks: setup.outboundHooks,
            sanitizer: setup.sanitizer,
            plugins: setup.plugins,
            store: store,
            adminStore: store,
            knowledge: store,
            tickets: store,
            logger: logger)
        let fleet = PluginFleet(Array(built.running.pluginHosts.values)) { [bot] text, channel in
            await bot.announce(text, in: channel)
        }
        let reloader = Reloader(parts: parts, running: built.running, configuration: configuration, bot: bot, fleet: fleet, source: source)
        // Listed first, so that it stops last: `/ready` says not-ready while the bot drains. Only
        // for the daemon: `parley chat` is a terminal session, not a service to watch.
        let admin: [ServiceGroupConfiguration.ServiceConfiguration] = (mode == .daemon ? configuration.adminHTTP : nil).map { http in
            [.init(service: RoleListener(
                configuration: http, bot: bot, plugins: { await reloader.pluginHosts() }, registry: PrometheusExport.shared,
                logger: logger))]
        } ?? []
        var groupConfiguration = ServiceGroupConfiguration(
            services: admin + [
                .init(service: RetentionService(store: store, interval: .seconds(3600), channelMaxAge: { await bot.retention(of: $0) })),
                .init(service: HeapTrimService()),
                .init(service: PluginFleetService(fleet: fleet)),
                .init(
                    service: BotService(bot: bot, plugins: Array(built.running.pluginHosts.values), connect: { await reloader.attach() }),
                    successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            logger: logger)
        // The bot bounds its own drain; this is the backstop should anything hang past it.
        groupConfiguration.maximumGracefulShutdownDuration = botConfiguration.drainTime + .seconds(10)
        let group = ServiceGroup(configuration: groupConfiguration)
        return Assembly(bot: bot, group: group, reloader: reloader)
    }

    /// A logger that tags every line with the network it concerns.
    static func networkLogger(_ logger: Logger, _ network: NetworkID) -> Logger {
        var logger = logger
        logger[metadataKey: "bot.network"] = "\(network)"
        return logger
    }

    /// Every configured backend, ready to generate (local models loaded).
    public static func makeBackends(
        _ configuration: ParleyConfiguration, logger: Logger, http: any HTTPClient = CurlHTTPClient()
    ) throws -> [any GenerationBackend] {
        try configuration.backends.map {
            try makeBackend(
                $0, logger: logger, http: http, mask: configuration.privacyMask,
                batchWidth: configuration.bot.maxConcurrentGenerations)
        }
    }

    /// One backend, ready to generate (a local model loaded); a hosted one behind `mask`. A local
    /// model decodes up to `batchWidth` conversations together (the bot's
    /// `max_concurrent_generations`, read when the model is loaded).
    static func makeBackend(
        _ backend: BackendConfiguration, logger: Logger, http: any HTTPClient, mask: PrivacyMask? = nil,
        batchWidth: Int = 4
    ) throws -> any GenerationBackend {
        switch backend.kind {
        case .echo:
            return EchoBackend(name: backend.name, contextWindow: backend.contextWindow)
        case .local(let local):
            logger.info("loading model", metadata: ["gen.backend": "\(backend.name)", "gen.model": "\(local.model)"])
            let model = try LanguageModel(path: local.model, contextLength: backend.contextWindow, threads: local.threads)
            let engine = InferenceEngine(model: model, cachedConversations: local.cachedConversations, batchWidth: batchWidth)
            return LocalBackend(name: backend.name, engine: engine)
        case .openAI(let openAI):
            let hosted = OpenAICompatibleBackend(configuration: openAI, logger: logger, http: http)
            return mask.map { MaskedBackend(hosted, mask: $0) } ?? hosted
        }
    }

    /// Runs `parley chat` in-process on `lines` of console input and returns what the console
    /// printed, once the input has ended and every reply is out (tests, and embedders that want
    /// one exchange without a terminal).
    public static func chat(
        _ configuration: ParleyConfiguration, input lines: [String], logger: Logger, plugins: [any Plugin] = []
    ) async throws -> String {
        let input = Locked(lines)
        let output = Locked("")
        let assembly = try assemble(
            configuration, mode: .chat, logger: logger, plugins: plugins,
            consoleIO: ConsoleIO(
                input: { input.withLock { $0.isEmpty ? nil : $0.removeFirst() } },
                output: { text in output.withLock { $0 += text } }
            ))
        try await assembly.run()
        return output.withLock { $0 }
    }
}
