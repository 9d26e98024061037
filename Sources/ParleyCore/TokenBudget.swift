/// Fits a conversation into a model's context window.
///
/// The budget is the context window minus the tokens reserved for the reply. The system prompt
/// and the newest entry are always kept; older entries are dropped from the oldest end until the
/// rest fits. If the system prompt and the newest entry alone exceed the budget they are still
/// sent, whole: cutting either would change what was asked.
public struct TokenBudget: Sendable {
    public var contextWindow: Int
    public var replyTokens: Int
    /// The backend's `countScale`: what the counts fall short by, so the room is divided by it.
    public var countScale: Double

    public init(contextWindow: Int, replyTokens: Int, countScale: Double = 1) {
        self.contextWindow = contextWindow
        self.replyTokens = replyTokens
        self.countScale = countScale
    }

    /// The room for the prompt, in the backend's own counts.
    public var promptTokens: Int { max(0, Int(Double(contextWindow - replyTokens) / max(countScale, 0.1))) }

    /// The chat messages to send: the system prompt, then as many of the newest `entries` as fit.
    ///
    /// - Complexity: O(n) calls of `count`, newest first.
    public func messages(
        systemPrompt: String,
        entries: [ContextEntry],
        count: (ChatMessage) -> Int
    ) -> [ChatMessage] {
        messages(systemPrompt: systemPrompt, counted: entries.map { ($0.chatMessage, count($0.chatMessage)) }, count: count)
    }

    /// The same, with each entry's token count known already (counted once, kept with it).
    /// - Parameter count: counts the system prompt.
    public func messages(
        systemPrompt: String,
        counted entries: some BidirectionalCollection<(ChatMessage, Int)>,
        count: (ChatMessage) -> Int
    ) -> [ChatMessage] {
        let system = ChatMessage(role: .system, content: systemPrompt)
        let kept = keptCount(systemTokens: count(system), costs: entries.map(\.1))
        return [system] + entries.suffix(kept).map(\.0)
    }

    /// How many of the newest entries fit beside a system prompt of `systemTokens`: at least the
    /// newest one, then older ones while they fit.
    public func keptCount(systemTokens: Int, costs: [Int]) -> Int {
        guard let newest = costs.last else { return 0 }
        var used = systemTokens + newest
        var kept = 1
        for cost in costs.dropLast().reversed() {
            guard used + cost <= promptTokens else { break }
            used += cost
            kept += 1
        }
        return kept
    }
}
