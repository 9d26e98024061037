/// The bot as a whole, for the admin listener's `/ready` and `/status` (and `parley status`).
public struct BotSnapshot: Sendable, Hashable, Codable {
    public struct Network: Sendable, Hashable, Codable {
        public var name: NetworkID
        public var state: String
        public var isUp: Bool
    }

    public struct Conversation: Sendable, Hashable, Codable {
        public var session: String
        public var queued: Int
        public var answering: Bool
    }

    public struct Channel: Sendable, Hashable, Codable {
        public var channel: ChannelKey
        public var paused: Bool
        /// What `!config set` gave it.
        public var settings: [String: String]
    }

    public var uptimeSeconds: Int
    public var accepting: Bool
    public var networks: [Network]
    /// The conversations held in memory, busiest first (at most 100).
    public var conversations: [Conversation]
    public var conversationCount: Int
    public var queued: Int
    public var repliesSent: Int
    /// Channels with admin state: paused, or with settings from chat.
    public var channels: [Channel]
    public var backends: [String]
    public var plugins: [String]
}

extension Bot {
    public func snapshot() async -> BotSnapshot {
        var conversations: [BotSnapshot.Conversation] = []
        for (key, session) in sessions {
            conversations.append(.init(session: key.description, queued: await session.queued, answering: await session.isGenerating))
        }
        conversations.sort { ($0.queued, $0.answering ? 1 : 0, $0.session) > ($1.queued, $1.answering ? 1 : 0, $1.session) }
        let channelKeys = paused.union(adminState.settings.keys).sorted { $0.description < $1.description }
        return BotSnapshot(
            uptimeSeconds: Int((clock.now() - started).inSeconds),
            accepting: accepting,
            networks: networkStates.sorted { $0.key.rawValue < $1.key.rawValue }.map { network, state in
                BotSnapshot.Network(name: network, state: state.description, isUp: state == .up)
            },
            conversations: Array(conversations.prefix(100)),
            conversationCount: sessions.count,
            queued: conversations.reduce(0) { $0 + $1.queued },
            repliesSent: repliesSent,
            channels: channelKeys.map { key in
                BotSnapshot.Channel(
                    channel: key, paused: paused.contains(key),
                    settings: Dictionary(uniqueKeysWithValues: (adminState.settings[key]?.values ?? [:]).map { ($0.key.rawValue, $0.value) }))
            },
            backends: installed.backends.keys.map(\.rawValue).sorted(),
            plugins: plugins.map(\.name))
    }

    /// The backends as set up now, for readiness checks.
    public func currentBackends() -> [any GenerationBackend] {
        installed.backends.values.sorted { $0.name.rawValue < $1.name.rawValue }
    }
}
