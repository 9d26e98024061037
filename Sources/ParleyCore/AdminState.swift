/// What admins decided in chat that must outlast a restart: who is ignored beyond (or despite)
/// the config's `ignore` list, and which channels are paused.
public struct AdminState: Sendable, Hashable, Codable {
    /// Entries `!ignore` added.
    public var ignoredAdded: Set<String> = []
    /// Entries of the config's list that `!unignore` removed.
    public var ignoredRemoved: Set<String> = []
    public var paused: Set<ChannelKey> = []

    public init(ignoredAdded: Set<String> = [], ignoredRemoved: Set<String> = [], paused: Set<ChannelKey> = []) {
        self.ignoredAdded = ignoredAdded
        self.ignoredRemoved = ignoredRemoved
        self.paused = paused
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
