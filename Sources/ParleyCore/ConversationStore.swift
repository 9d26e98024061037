public import struct Foundation.Date

/// Where conversation contexts and the moderation log survive a restart.
public protocol ConversationStore: Sendable {
    /// The newest `limit` entries of a session, oldest first.
    func entries(of session: SessionKey, limit: Int) async throws -> [ContextEntry]
    func append(_ entry: ContextEntry, to session: SessionKey) async throws
    /// Appends lines of any sessions, in order; a store with transactions writes them in one.
    func append(contentsOf lines: [StoredLine]) async throws
    /// Removes every entry of a session, and its summary.
    func clear(_ session: SessionKey) async throws
    /// Removes every entry that concerns `user` on `network`, in every session, their notes, and
    /// the summaries made from their lines; returns how many entries.
    func forget(_ user: UserID, on network: NetworkID) async throws -> Int
    /// Replaces the text of `author`'s line `message` in `channel` (an edit: only its author's
    /// counts); returns how many entries changed. Summaries that covered it are dropped, to be
    /// made again.
    func edit(_ message: MessageID, in channel: ChannelKey, by author: UserID, text: String) async throws -> Int
    /// Removes the line `message` in `channel` and the bot's answer to it (a redaction); returns
    /// how many entries went. Summaries that covered them are dropped, to be made again.
    func redact(_ message: MessageID, in channel: ChannelKey) async throws -> Int
    /// The rolling summary of a session, if one was made.
    func summary(of session: SessionKey) async throws -> ConversationSummary?
    func saveSummary(_ summary: ConversationSummary, of session: SessionKey) async throws
    /// The notes a person keeps on a network, oldest first.
    func notes(of user: UserID, on network: NetworkID) async throws -> [PersonNote]
    func addNote(_ note: PersonNote, for user: UserID, on network: NetworkID) async throws
    /// Removes the person's notes that contain `text`, compared case-insensitively; how many.
    func removeNotes(of user: UserID, on network: NetworkID, containing text: String) async throws -> Int
    /// Makes what was deleted unrecoverable from the files (overwritten pages, the write-ahead
    /// log emptied); after a forget-me.
    func erase() async throws
    func record(_ event: ModerationEvent) async throws
}

/// A transcript line and the conversation it belongs to, as lines are written together.
public struct StoredLine: Sendable, Hashable {
    public var entry: ContextEntry
    public var session: SessionKey

    public init(_ entry: ContextEntry, of session: SessionKey) {
        self.entry = entry
        self.session = session
    }
}

/// A moderation verdict other than `allow`, as the moderation log keeps it.
public struct ModerationEvent: Sendable, Hashable {
    public enum Direction: String, Sendable, Hashable {
        case inbound, outbound
    }

    public var time: Date
    public var channel: ChannelKey
    public var user: UserID?
    public var hook: String
    public var direction: Direction
    public var verdict: String
    public var reason: String

    public init(
        time: Date = Date(),
        channel: ChannelKey,
        user: UserID?,
        hook: String,
        direction: Direction,
        verdict: String,
        reason: String
    ) {
        self.time = time
        self.channel = channel
        self.user = user
        self.hook = hook
        self.direction = direction
        self.verdict = verdict
        self.reason = reason
    }
}

extension ConversationStore {
    public func erase() async throws {}

    public func append(contentsOf lines: [StoredLine]) async throws {
        for line in lines { try await append(line.entry, to: line.session) }
    }
}
