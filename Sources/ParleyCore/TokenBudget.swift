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
        let system = ChatMessage(role: .system, content: systemPrompt)
        guard let newest = entries.last else { return [system] }
        var used = count(system) + count(newest.chatMessage)
        var kept: [ChatMessage] = [newest.chatMessage]
        for entry in entries.dropLast().reversed() {
            let message = entry.chatMessage
            let cost = count(message)
            guard used + cost <= promptTokens else { break }
            used += cost
            kept.append(message)
        }
        return [system] + kept.reversed()
    }
}
