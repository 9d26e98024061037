/// What a channel remembers beyond its context window (`memory:` in a channel rule).
public struct MemoryPolicy: Sendable, Hashable {
    /// Whether the turns the budget drops are folded into a rolling summary.
    public var summarizes: Bool
    /// The backend that writes the summaries; nil: the channel's own.
    public var summaryBackend: BackendName?
    /// The longest summary, in tokens, asked of the backend.
    public var summaryTokens: Int
    /// Whether people may keep notes here (`!remember`); off unless the operator opts in.
    public var notes: Bool

    public init(summarizes: Bool = true, summaryBackend: BackendName? = nil, summaryTokens: Int = 256, notes: Bool = false) {
        self.summarizes = summarizes
        self.summaryBackend = summaryBackend
        self.summaryTokens = summaryTokens
        self.notes = notes
    }
}
