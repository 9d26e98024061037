/// How long transcripts are kept, and how many entries per conversation.
public struct Retention: Sendable, Hashable {
    /// Entries and moderation events older than this are deleted; nil keeps them.
    public var maxAge: Duration?
    /// Entries beyond this many per conversation are deleted, oldest first; nil keeps them.
    public var maxEntriesPerSession: Int?

    public init(maxAge: Duration? = .seconds(30 * 86_400), maxEntriesPerSession: Int? = 500) {
        self.maxAge = maxAge
        self.maxEntriesPerSession = maxEntriesPerSession
    }
}
