public import ParleyCore

/// A conversation store that keeps everything in memory, for tests.
public actor InMemoryConversationStore: ConversationStore {
    private var sessions: [SessionKey: [ContextEntry]] = [:]
    public private(set) var events: [ModerationEvent] = []

    public init() {}

    public func entries(of session: SessionKey, limit: Int) -> [ContextEntry] {
        Array((sessions[session] ?? []).suffix(limit))
    }

    public func append(_ entry: ContextEntry, to session: SessionKey) {
        sessions[session, default: []].append(entry)
    }

    public func clear(_ session: SessionKey) {
        sessions[session] = nil
    }

    /// How many times `erase` was called.
    public private(set) var erasures = 0

    public func erase() {
        erasures += 1
    }

    public func forget(_ user: UserID, on network: NetworkID) -> Int {
        var removed = 0
        for key in sessions.keys where key.channel.network == network {
            let before = sessions[key]?.count ?? 0
            sessions[key]?.removeAll { $0.concerns(user) }
            removed += before - (sessions[key]?.count ?? 0)
        }
        return removed
    }

    public func record(_ event: ModerationEvent) {
        events.append(event)
    }
}
