public import struct Foundation.Date

/// Where conversation contexts and the moderation log survive a restart.
public protocol ConversationStore: Sendable {
    /// The newest `limit` entries of a session, oldest first.
    func entries(of session: SessionKey, limit: Int) async throws -> [ContextEntry]
    func append(_ entry: ContextEntry, to session: SessionKey) async throws
    /// Removes every entry of a session.
    func clear(_ session: SessionKey) async throws
    /// Removes every entry that concerns `user` on `network`, in every session; returns how many.
    func forget(_ user: UserID, on network: NetworkID) async throws -> Int
    /// Makes what was deleted unrecoverable from the files (overwritten pages, the write-ahead
    /// log emptied); after a forget-me.
    func erase() async throws
    func record(_ event: ModerationEvent) async throws
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
}
