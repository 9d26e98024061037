import Logging

/// The operations commands and plugins may ask of the bot.
extension Bot {
    public func commandList() -> [any Command] { commands }

    public func isAdmin(_ sender: Sender, on network: NetworkID) -> Bool {
        setup.roles.contains(sender, on: network)
    }

    public func roles(of sender: Sender, in channel: ChannelKey) -> Set<RoleList.Role> {
        setup.roles.roles(of: sender, in: channel)
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
        // Storage first: a session that must make its summary again reads what storage keeps.
        let stored = try await store?.forget(user, on: network) ?? 0
        var removed = 0
        for (key, session) in sessions where key.channel.network == network {
            removed += await session.forget(user)
        }
        var pluginItems = 0
        for plugin in plugins { pluginItems += try await plugin.forget(user, on: network) }
        // The files too: deleted pages are overwritten (secure_delete) and the log emptied.
        try await store?.erase()
        // A KV cache holds a conversation as computed; every one of the network goes (they are
        // only a speed-up), as the person may have spoken in any of them.
        for backend in installed.backends.values { await backend.forgetConversations(withPrefix: "\(network)/") }
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
            networks: networkStates.sorted { $0.key.rawValue < $1.key.rawValue }.map { NetworkStatus(network: $0.key, state: $0.value) },
            overrides: adminState.settings[message.channel]?.values ?? [:])
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
        adminState.unignore(entry, fromConfig: setup.ignore.contains(entry))
        await saveAdminState()
        return true
    }

    /// Applies what admins decided before the last restart, over the config.
    func restoreAdminState() async {
        guard let adminStore else { return }
        do {
            adminState = try await adminStore.loadAdminState()
            applyIgnoreChanges()
            paused = adminState.paused
            install()
        } catch {
            logger.error("could not read the saved admin state; going on with the config's", metadata: ["error": "\(error)"])
        }
    }

    func saveAdminState() async {
        do {
            try await adminStore?.saveAdminState(adminState)
        } catch {
            logger.error("could not save the admin state; it holds until a restart", metadata: ["error": "\(error)"])
        }
    }
}

/// `!config`: channel settings set from chat, over the config.
extension Bot {
    public func mayConfigure(_ message: InboundMessage) async -> Bool {
        let roles = roles(of: message.sender, in: message.channel)
        if roles.contains(.admin) || roles.contains(.operator) { return true }
        // An operator counts only when the network vouches for who they are (an account).
        return !message.isDirect && message.sender.isOperator && message.sender.account != nil
            && policies.configuredPolicy(for: message.channel, isDirect: false).opsMayConfigure
    }

    public func channelSettings(of message: InboundMessage) async -> [ChannelSettingValue] {
        let policy = policy(of: message)
        let overrides = adminState.settings[message.channel]?.values ?? [:]
        return ChannelSetting.allCases.map { key in
            ChannelSettingValue(key: key, value: key.value(in: policy), isOverride: overrides[key] != nil)
        }
    }

    public func setChannelSetting(_ key: ChannelSetting, to value: String, for message: InboundMessage) async throws {
        if key == .backend, installed.backends[BackendName(value)] == nil {
            throw ChannelSettingError.unknownBackend(value, known: installed.backends.keys.map(\.rawValue).sorted())
        }
        var settings = adminState.settings[message.channel] ?? ChannelSettings()
        try settings.set(key, to: value, checkedAgainst: policy(of: message))
        adminState.settings[message.channel] = settings
        await settingsChanged(by: message, key: key)
    }

    public func unsetChannelSetting(_ key: ChannelSetting, for message: InboundMessage) async -> Bool {
        guard var settings = adminState.settings[message.channel], settings.unset(key) else { return false }
        adminState.settings[message.channel] = settings.isEmpty ? nil : settings
        await settingsChanged(by: message, key: key)
        return true
    }

    public func sentence(_ sentence: BotSentence, for message: InboundMessage) async -> String {
        policy(of: message).text(sentence)
    }

    private func settingsChanged(by message: InboundMessage, key: ChannelSetting) async {
        logger.notice("channel setting changed from chat", metadata: [
            "bot.channel": "\(message.channel)", "bot.setting": "\(key.rawValue)",
            "bot.account": "\(message.sender.account ?? "none")",
        ])
        install()
        await reconfigureSessions()
        await saveAdminState()
    }
}
