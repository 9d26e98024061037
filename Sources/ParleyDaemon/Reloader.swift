public import Logging
import ParleyCore
import ParleyIRC
import ParleyPlugins

/// Reads the config again and applies it to the running daemon (SIGHUP, `!reload`): the new
/// config is read and checked in full first; an invalid one is refused, logged, and the running
/// one kept. What a reload cannot change (storage, the bot's name and limits, logging) is named
/// in the answer and waits for a restart.
public actor Reloader {
    private let parts: DaemonParts
    private var running: DaemonParts.Running
    private var configuration: ParleyConfiguration
    private let bot: Bot
    private let fleet: PluginFleet
    private let source: (@Sendable () throws -> ParleyConfiguration)?
    private var logger: Logger { parts.logger }

    init(
        parts: DaemonParts, running: DaemonParts.Running, configuration: ParleyConfiguration, bot: Bot, fleet: PluginFleet,
        source: (@Sendable () throws -> ParleyConfiguration)?
    ) {
        self.parts = parts
        self.running = running
        self.configuration = configuration
        self.bot = bot
        self.fleet = fleet
        self.source = source
    }

    /// The plugin programs configured now.
    func pluginHosts() -> [PluginHost] {
        Array(running.pluginHosts.values)
    }

    /// Brings the index of every channel's knowledge up to date; a failure is logged, and the
    /// channels answer from what was indexed before.
    func indexKnowledge(_ configuration: ParleyConfiguration) async {
        let roots = (configuration.policies.rules.map(\.policy) + [configuration.policies.fallback])
            .compactMap(\.knowledge).flatMap(\.paths)
        guard !roots.isEmpty else { return }
        do {
            _ = try await KnowledgeIndexer(store: parts.store, logger: logger).index(roots)
        } catch {
            logger.error("could not index the knowledge files", metadata: ["error": "\(error)"])
        }
    }

    /// Indexes the knowledge, and gives the bot its `!reload`; before the bot takes a message.
    func attach() async {
        await indexKnowledge(configuration)
        guard source != nil else { return }
        await bot.setReloader { [self] in try await reloadFromSourceOrThrow() }
    }

    /// Reloads from the config file; the answer is what `!reload` says, and is logged.
    @discardableResult
    public func reloadFromSource() async -> String {
        do {
            return try await reloadFromSourceOrThrow()
        } catch {
            logger.error("reload refused; the running config is kept", metadata: ["error": "\(error)"])
            return "Reload refused, the running config is kept: \(error)"
        }
    }

    private func reloadFromSourceOrThrow() async throws -> String {
        guard let source else { throw ReloadError.noSource }
        logger.notice("reloading the config")
        return try await reload(to: try source())
    }

    /// Applies `new`, keeping what is unchanged; throws (and changes nothing) if a part of it
    /// cannot be built.
    public func reload(to new: ParleyConfiguration) async throws -> String {
        let built = try parts.build(new, keeping: running)
        await indexKnowledge(new)
        for host in built.pluginsStarted { await fleet.start(host) }
        await bot.reload(to: built.setup)
        for change in built.channelChanges { await change.connector.replaceChannels(change.channels) }
        await fleet.stop(built.pluginsStopped.subtracting(built.pluginsStarted.map(\.name)))
        let before = running
        running = built.running
        let restartNeeded = Self.restartNeeded(configuration, new)
        configuration = new
        var summary = ["Reloaded: \(new.policies.rules.count) channel rules, \(new.backends.count) backends"]
        let added = built.running.networks.keys.filter { before.networks[$0] == nil }
        let removed = before.networks.keys.filter { built.running.networks[$0] == nil }
        if !added.isEmpty { summary.append("networks started: " + added.map(\.rawValue).sorted().joined(separator: ", ")) }
        if !removed.isEmpty { summary.append("networks stopped: " + removed.map(\.rawValue).sorted().joined(separator: ", ")) }
        if !built.setup.restarted.isEmpty {
            summary.append("networks reconnected with new settings: " + built.setup.restarted.map(\.rawValue).sorted().joined(separator: ", "))
        }
        if !built.channelChanges.isEmpty {
            summary.append("channels changed on: " + built.channelChanges.map(\.connector.network.rawValue).sorted().joined(separator: ", "))
        }
        if !built.pluginsStarted.isEmpty {
            summary.append("plugins (re)started: " + built.pluginsStarted.map(\.name.rawValue).sorted().joined(separator: ", "))
        }
        if !restartNeeded.isEmpty { summary.append("waiting for a restart: " + restartNeeded.joined(separator: ", ")) }
        let text = summary.joined(separator: "; ") + "."
        logger.notice("config reloaded", metadata: ["bot.reload": "\(text)"])
        return text
    }

    /// The settings a reload leaves as they were, that differ.
    static func restartNeeded(_ old: ParleyConfiguration, _ new: ParleyConfiguration) -> [String] {
        var names: [String] = []
        if old.storage.path != new.storage.path { names.append("storage.path") }
        if old.bot.name != new.bot.name { names.append("bot.name") }
        if old.bot.commandPrefix != new.bot.commandPrefix { names.append("bot.command_prefix") }
        if old.bot.askCommand != new.bot.askCommand { names.append("bot.ask_command") }
        if old.bot.maxConcurrentGenerations != new.bot.maxConcurrentGenerations { names.append("bot.max_concurrent_generations") }
        if old.bot.maxSessions != new.bot.maxSessions { names.append("bot.max_sessions") }
        if old.adminHTTP != new.adminHTTP { names.append("admin_http") }
        if old.logging.format != new.logging.format || old.logging.level != new.logging.level { names.append("logging") }
        return names
    }
}

/// Why a reload could not be done.
enum ReloadError: Error, CustomStringConvertible {
    case noSource

    var description: String {
        switch self {
        case .noSource: "this bot was not started from a config file it can read again"
        }
    }
}
