import Logging

/// The operations commands and plugins may ask of the bot.
extension Bot {
    public func commandList() -> [any Command] { commands }

    public func isAdmin(_ sender: Sender, on network: NetworkID) -> Bool {
        configuration.admins.contains(sender, on: network)
    }

    public func resetContext(of message: InboundMessage) async {
        let policy = policies.policy(for: message.channel, isDirect: message.isDirect)
        let key = SessionKey(for: message, scope: policy.scope)
        if let session = sessions[key] {
            await session.reset()
        } else {
            try? await store?.clear(key)
        }
    }

    public func forget(_ user: UserID, on network: NetworkID) async throws -> Int {
        var removed = 0
        for (key, session) in sessions where key.channel.network == network {
            removed += await session.forget(user)
        }
        let stored = try await store?.forget(user, on: network) ?? 0
        var pluginItems = 0
        for plugin in plugins { pluginItems += try await plugin.forget(user, on: network) }
        logger.notice("forgot a user on request", metadata: ["bot.network": "\(network)"])
        return max(removed, stored) + pluginItems
    }

    public func status(of message: InboundMessage) async -> BotStatus {
        let policy = policies.policy(for: message.channel, isDirect: message.isDirect)
        let session = sessions[SessionKey(for: message, scope: policy.scope)]
        return BotStatus(
            uptime: clock.now() - started,
            backend: policy.backend,
            sessions: sessions.count,
            contextEntries: await session?.entryCount ?? 0,
            queued: await session?.queued ?? 0,
            generating: await session?.isGenerating ?? false,
            repliesSent: repliesSent,
            paused: paused.contains(message.channel),
            networks: networkStates.sorted { $0.key.rawValue < $1.key.rawValue }.map { NetworkStatus(network: $0.key, state: $0.value) })
    }

    public func setPaused(_ isPaused: Bool, channel: ChannelKey) async {
        if isPaused { paused.insert(channel) } else { paused.remove(channel) }
        adminState.paused = paused
        await saveAdminState()
    }

    public func ignore(_ entry: String) async -> Bool {
        guard ignoreList.add(entry) else { return false }
        adminState.ignore(entry)
        await saveAdminState()
        return true
    }

    public func unignore(_ entry: String) async -> Bool {
        guard ignoreList.remove(entry) else { return false }
        adminState.unignore(entry, fromConfig: configuredIgnores.contains(entry))
        await saveAdminState()
        return true
    }

    /// Applies what admins decided before the last restart, over the config.
    func restoreAdminState() async {
        guard let adminStore else { return }
        do {
            let saved = try await adminStore.loadAdminState()
            for entry in saved.ignoredAdded { _ = ignoreList.add(entry) }
            for entry in saved.ignoredRemoved { _ = ignoreList.remove(entry) }
            paused = saved.paused
            adminState = saved
        } catch {
            logger.error("could not read the saved admin state; going on with the config's", metadata: ["error": "\(error)"])
        }
    }

    private func saveAdminState() async {
        do {
            try await adminStore?.saveAdminState(adminState)
        } catch {
            logger.error("could not save the admin state; it holds until a restart", metadata: ["error": "\(error)"])
        }
    }
}
