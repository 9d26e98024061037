import Logging

/// Changing what the bot runs with while it runs: a reload (`!reload`, SIGHUP), the channel
/// settings set in chat, and networks started and stopped alone.
extension Bot {
    /// Sets what `!reload` calls: reads the config again and hands the result to `reload(to:)`,
    /// or throws why it was refused.
    public func setReloader(_ reloader: @escaping @Sendable () async throws -> String) {
        self.reloader = reloader
    }

    /// Reads the config again through the reloader; the answer says what changed or why not.
    public func reloadConfiguration() async -> String {
        guard let reloader else { return "Reloading is not available here (the bot was not started from a config file)." }
        do {
            return try await reloader()
        } catch {
            logger.error("reload refused; the running config is kept", metadata: ["error": "\(error)"])
            return "Reload refused, the running config is kept: \(error)"
        }
    }

    /// Replaces the admins, policies, backends, hooks and plugins, and starts, stops or restarts
    /// networks as `setup` says; every other network keeps its connection. Sessions keep their
    /// transcripts and take their channel's new policy from their next message on.
    public func reload(to setup: BotSetup) async {
        let before = Set(connectors.keys)
        let after = Dictionary(setup.connectors.map { ($0.network, $0) }, uniquingKeysWith: { first, _ in first })
        let stopped = before.subtracting(after.keys).union(setup.restarted.intersection(before))
        await stopNetworks(stopped)
        for network in stopped { connectors[network] = nil }
        self.setup = setup
        ignoreList.replace(with: setup.ignore)
        applyIgnoreChanges()
        install()
        for (network, connector) in after where connectors[network] == nil {
            connectors[network] = connector
            startNetwork(connector)
        }
        await reconfigureSessions()
        await breaker.reset()
        logger.notice("reloaded", metadata: [
            "bot.networks_stopped": "\(stopped.count)",
            "bot.networks_started": "\(after.keys.filter { !before.contains($0) || stopped.contains($0) }.count)",
        ])
    }

    /// Rebuilds `installed` from `setup` and the settings set in chat.
    func install() {
        installed = InstalledSetup(setup, ignoreList: ignoreList, overrides: adminState.settings)
    }

    /// Gives every session its channel's policy as it is now, and the current backends.
    func reconfigureSessions() async {
        let environment = sessionEnvironment()
        for session in sessions.values {
            let policy = policies.policy(for: session.key.channel, isDirect: session.isDirect)
            await session.reconfigure(policy: policy, environment: environment)
        }
    }

    /// The admins' `!ignore` and `!unignore`, applied over the config's list.
    func applyIgnoreChanges() {
        for entry in adminState.ignoredAdded { _ = ignoreList.add(entry) }
        for entry in adminState.ignoredRemoved { _ = ignoreList.remove(entry) }
    }

    /// Runs `connector` under supervision until it ends, the bot stops, or a reload stops it.
    func startNetwork(_ connector: any Connector) {
        guard let events = networkEvents else { return }
        networkStates[connector.network] = .connecting
        networkTasks[connector.network] = Task { await self.supervise(connector, events: events) }
    }

    /// Stops the networks named, and waits until each has.
    func stopNetworks(_ networks: Set<NetworkID>) async {
        let tasks = networks.compactMap { network in networkTasks.removeValue(forKey: network) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        for network in networks { networkStates[network] = nil }
    }
}
