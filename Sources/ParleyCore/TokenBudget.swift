/// Fits a conversation into a model's context window.
///
/// The budget is the context window minus the tokens reserved for the reply. The system prompt
/// and the newest entry are always kept; older entries are dropped from the oldest end until the
/// rest fits. If the system prompt and the newest entry alone exceed the budget they are still
/// sent, whole: cutting either would change what was asked.
public struct TokenBudget: Sendable {
    public var contextWindow: Int
    public var replyTokens: Int

    public init(contextWindow: Int, replyTokens: Int) {
        self.contextWindow = contextWindow
        self.replyTokens = replyTokens
    }

    public var promptTokens: Int { max(0, contextWindow - replyTokens) }

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
        guard let newest = entries.last else { return [system] }
        var used = count(system) + newest.1
        var kept: [ChatMessage] = [newest.0]
        for (message, cost) in entries.dropLast().reversed() {
            guard used + cost <= promptTokens else { break }
            used += cost
            kept.append(message)
        }
        return [system] + kept.reversed()
    }
}
