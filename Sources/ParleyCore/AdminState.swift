/// What admins decided in chat that must outlast a restart: who is ignored beyond (or despite)
/// the config's `ignore` list, which channels are paused, and the channel settings set in chat.
public struct AdminState: Sendable, Hashable, Codable {
    /// Entries `!ignore` added.
    public var ignoredAdded: Set<String> = []
    /// Entries of the config's list that `!unignore` removed.
    public var ignoredRemoved: Set<String> = []
    public var paused: Set<ChannelKey> = []
    /// `!config set`, per channel.
    public var settings: [ChannelKey: ChannelSettings] = [:]
    /// The channels that have heard their `privacy_notice`.
    public var noticed: Set<ChannelKey> = []

    public init(
        ignoredAdded: Set<String> = [], ignoredRemoved: Set<String> = [], paused: Set<ChannelKey> = [],
        settings: [ChannelKey: ChannelSettings] = [:]
    ) {
        self.ignoredAdded = ignoredAdded
        self.ignoredRemoved = ignoredRemoved
        self.paused = paused
        self.settings = settings
    }

    private enum CodingKeys: String, CodingKey {
        case ignoredAdded, ignoredRemoved, paused, settings, noticed
    }

    /// Reads what an earlier version saved too (before settings existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ignoredAdded = try container.decodeIfPresent(Set<String>.self, forKey: .ignoredAdded) ?? []
        ignoredRemoved = try container.decodeIfPresent(Set<String>.self, forKey: .ignoredRemoved) ?? []
        paused = try container.decodeIfPresent(Set<ChannelKey>.self, forKey: .paused) ?? []
        settings = try container.decodeIfPresent([ChannelKey: ChannelSettings].self, forKey: .settings) ?? [:]
        noticed = try container.decodeIfPresent(Set<ChannelKey>.self, forKey: .noticed) ?? []
    }

    /// Records `!ignore entry`.
    mutating func ignore(_ entry: String) {
        ignoredAdded.insert(entry)
        ignoredRemoved.remove(entry)
    }

    /// Records `!unignore entry`; `fromConfig`: the config's list has it.
    mutating func unignore(_ entry: String, fromConfig: Bool) {
        ignoredAdded.remove(entry)
        if fromConfig { ignoredRemoved.insert(entry) }
    }
}

/// Where the bot keeps its `AdminState` (Parley's SQLite store).
public protocol AdminStateStore: Sendable {
    /// The state saved last; an empty one if none was.
    func loadAdminState() async throws -> AdminState
    func saveAdminState(_ state: AdminState) async throws
}
