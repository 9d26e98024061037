import Logging
import ParleyBackends
import ParleyCore
import ParleyHTTP
import ParleyIRC
import ParleyMatrix
import ParleyPlugins
import ParleyStore

/// Builds from a config what the bot runs with, keeping what a reload left unchanged: a
/// backend, network or plugin whose settings are the same stays as it is (its model loaded, its
/// connection up, its program running).
struct DaemonParts: Sendable {
    let mode: Daemon.Mode
    let store: SQLiteStore
    let http: any HTTPClient
    let logger: Logger
    /// The embedding program's own plugins, kept across reloads.
    let swiftPlugins: [any Plugin]
    let consoleIO: Daemon.ConsoleIO?

    /// What runs, with the settings it was made from.
    struct Running: Sendable {
        var backends: [BackendName: (configuration: BackendConfiguration, backend: any GenerationBackend)] = [:]
        var networks: [NetworkID: (configuration: NetworkConfiguration, connector: any Connector)] = [:]
        var pluginHosts: [PluginName: PluginHost] = [:]
        /// `privacy.redact`, which the hosted backends were made behind.
        var mask: PrivacyMask?
    }

    /// What `build` made: the bot's setup and what runs.
    struct Built: Sendable {
        var setup: BotSetup
        var running: Running
        /// Plugin programs that are new or changed (to be started) and gone (to be stopped).
        var pluginsStarted: [PluginHost] = []
        var pluginsStopped: Set<PluginName> = []
        /// IRC networks whose channels alone changed: joined and parted on the connection as is.
        var channelChanges: [(connector: IRCConnector, channels: [IRCSessionConfiguration.Channel])] = []
    }

    /// Everything `configuration` names, reusing from `previous` what is unchanged. Throws
    /// before anything runs (a model that will not load), so that a refused reload changes
    /// nothing.
    func build(_ configuration: ParleyConfiguration, keeping previous: Running?) throws -> Built {
        var running = Running(mask: configuration.privacyMask)
        for backend in configuration.backends {
            if let kept = previous?.backends[backend.name], kept.configuration == backend, previous?.mask == running.mask {
                running.backends[backend.name] = kept
            } else {
                running.backends[backend.name] = (
                    backend,
                    try Daemon.makeBackend(
                        backend, logger: logger, http: http, mask: configuration.privacyMask,
                        batchWidth: configuration.bot.maxConcurrentGenerations))
            }
        }
        var restarted: Set<NetworkID> = []
        var channelChanges: [(connector: IRCConnector, channels: [IRCSessionConfiguration.Channel])] = []
        for network in networks(of: configuration) {
            if let kept = previous?.networks[network.name] {
                if kept.configuration == network {
                    running.networks[network.name] = kept
                    continue
                }
                if let channels = Self.channelsAlone(changedFrom: kept.configuration, to: network),
                   let connector = kept.connector as? IRCConnector {
                    running.networks[network.name] = (network, connector)
                    channelChanges.append((connector, channels))
                    continue
                }
                restarted.insert(network.name)
            }
            running.networks[network.name] = (network, connector(for: network, botName: configuration.bot.name))
        }
        var started: [PluginHost] = []
        let pluginStore = StoredPluginValues(store: store)
        for plugin in configuration.plugins {
            if let kept = previous?.pluginHosts[plugin.manifest.name], kept.configuration == plugin {
                running.pluginHosts[plugin.manifest.name] = kept
            } else {
                let host = PluginHost(configuration: plugin, logger: logger, store: pluginStore)
                running.pluginHosts[plugin.manifest.name] = host
                started.append(host)
            }
        }
        let stopped = Set(previous?.pluginHosts.keys.filter { name in
            running.pluginHosts[name] == nil || started.contains { $0.name == name }
        } ?? [])
        let hosts = configuration.plugins.compactMap { running.pluginHosts[$0.manifest.name] }
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
        let setup = BotSetup(
            roles: configuration.bot.roles, escalationChannel: configuration.bot.escalationChannel,
            policies: configuration.policies,
            backends: configuration.backends.compactMap { running.backends[$0.name]?.backend },
            ignore: moderation.ignore, inboundHooks: inboundHooks, outboundHooks: outboundHooks,
            sanitizer: OutputSanitizer(maxMentions: moderation.maxMentionsPerReply),
            plugins: swiftPlugins + hosts.map(ProcessPlugin.init) + [PluginAdministration(hosts: hosts)],
            connectors: networks(of: configuration).compactMap { running.networks[$0.name]?.connector },
            restarted: restarted)
        return Built(
            setup: setup, running: running, pluginsStarted: started, pluginsStopped: stopped, channelChanges: channelChanges)
    }

    /// The new channel list, if it is all that changed in an IRC network's settings.
    static func channelsAlone(changedFrom old: NetworkConfiguration, to new: NetworkConfiguration) -> [IRCSessionConfiguration.Channel]? {
        guard case .irc(var before) = old.kind, case .irc(let after) = new.kind else { return nil }
        before.session.channels = after.session.channels
        return before == after ? after.session.channels : nil
    }

    /// The networks this mode runs: all of them, or in `parley chat` the console alone.
    func networks(of configuration: ParleyConfiguration) -> [NetworkConfiguration] {
        guard mode == .chat else { return configuration.networks }
        let consoles = configuration.networks.filter { if case .console = $0.kind { true } else { false } }
        return consoles.isEmpty ? [NetworkConfiguration(name: "console", kind: .console(user: "you"))] : consoles
    }

    func connector(for network: NetworkConfiguration, botName: String) -> any Connector {
        switch network.kind {
        case .console(let user):
            if let consoleIO {
                ConsoleConnector(network: network.name, user: user, botName: botName, input: consoleIO.input, output: consoleIO.output)
            } else {
                ConsoleConnector(network: network.name, user: user, botName: botName)
            }
        case .irc(let irc):
            IRCConnector(
                configuration: irc, logger: Daemon.networkLogger(logger, network.name), stsStore: StoredSTSPolicies(store: store))
        case .matrix(let matrix):
            MatrixConnector(
                configuration: matrix, logger: Daemon.networkLogger(logger, network.name),
                store: StoredMatrixState(store: store, remembered: matrix.rememberedEvents), http: http)
        }
    }
}
