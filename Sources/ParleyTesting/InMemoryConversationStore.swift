public import ParleyCore

/// A conversation store that keeps everything in memory, for tests.
public actor InMemoryConversationStore: ConversationStore {
    private var sessions: [SessionKey: [ContextEntry]] = [:]
    public private(set) var events: [ModerationEvent] = []
    private var summaries: [SessionKey: ConversationSummary] = [:]
    private var notes: [NetworkID: [UserID: [PersonNote]]] = [:]

    public init() {}

    public func entries(of session: SessionKey, limit: Int) -> [ContextEntry] {
        Array((sessions[session] ?? []).suffix(limit))
    }

    public func append(_ entry: ContextEntry, to session: SessionKey) {
        sessions[session, default: []].append(entry)
    }

    public func clear(_ session: SessionKey) {
        sessions[session] = nil
        summaries[session] = nil
    }

    public func edit(_ message: MessageID, in channel: ChannelKey, by author: UserID, text: String) -> Int {
        var changed = 0
        for key in sessions.keys where key.channel == channel {
            for index in sessions[key]!.indices
            where sessions[key]![index].messageID == message && sessions[key]![index].role == .user && sessions[key]![index].speaker == author {
                sessions[key]![index].text = text
                dropSummary(of: key, ifCovering: sessions[key]![index])
                changed += 1
            }
        }
        return changed
    }

    public func redact(_ message: MessageID, in channel: ChannelKey) -> Int {
        var removed = 0
        for key in sessions.keys where key.channel == channel {
            for entry in sessions[key]! where entry.messageID == message { dropSummary(of: key, ifCovering: entry) }
            let before = sessions[key]!.count
            sessions[key]!.removeAll { $0.messageID == message }
            removed += before - sessions[key]!.count
        }
        return removed
    }

    private func dropSummary(of key: SessionKey, ifCovering entry: ContextEntry) {
        if let summary = summaries[key], entry.time <= summary.through { summaries[key] = nil }
    }

    public func summary(of session: SessionKey) -> ConversationSummary? {
        summaries[session]
    }

    public func saveSummary(_ summary: ConversationSummary, of session: SessionKey) {
        summaries[session] = summary
    }

    public func notes(of user: UserID, on network: NetworkID) -> [PersonNote] {
        notes[network]?[user] ?? []
    }

    public func addNote(_ note: PersonNote, for user: UserID, on network: NetworkID) {
        notes[network, default: [:]][user, default: []].append(note)
    }

    public func removeNotes(of user: UserID, on network: NetworkID, containing text: String) -> Int {
        let before = notes[network]?[user]?.count ?? 0
        notes[network]?[user]?.removeAll { $0.text.lowercased().contains(text.lowercased()) }
        return before - (notes[network]?[user]?.count ?? 0)
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
        notes[network]?[user] = nil
        for (key, summary) in summaries where key.channel.network == network && summary.users.contains(user) {
            summaries[key] = nil
        }
        return removed
    }

    public func record(_ event: ModerationEvent) {
        events.append(event)
    }
}
