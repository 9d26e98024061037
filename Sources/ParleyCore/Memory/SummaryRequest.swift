/// How a summary is asked of a backend: instructions, the summary so far, and the lines to fold
/// into it, oldest first.
enum SummaryRequest {
    static func instructions(words: Int) -> String {
        """
        You keep the memory of a chat conversation. Rewrite the summary so that it also covers the new lines. \
        Keep facts, names, numbers, decisions, promises and open questions, each with who said it; \
        drop greetings and small talk. Plain sentences, at most \(words) words. Answer with the summary only.
        """
    }

    /// The lines of `pending` (oldest first) folded in one request: as many of the oldest as fit
    /// the backend's window beside the instructions, the summary so far and the summary's own
    /// room. Always at least one, so that folding moves on.
    static func chunk(
        of pending: [(sequence: Int, entry: ContextEntry)], previous: ConversationSummary?,
        backend: any GenerationBackend, summaryTokens: Int
    ) -> [(sequence: Int, entry: ContextEntry)] {
        let fixed = backend.tokenCount(of: ChatMessage(role: .system, content: instructions(words: summaryTokens)))
            + backend.tokenCount(of: ChatMessage(role: .user, content: previous?.text ?? ""))
        let room = backend.contextWindow - summaryTokens - fixed
        var used = 0
        var taken = 0
        for item in pending {
            let cost = backend.tokenCount(of: ChatMessage(role: .user, content: line(item.entry)))
            guard taken == 0 || used + cost <= room else { break }
            used += cost
            taken += 1
        }
        return Array(pending.prefix(taken))
    }

    static func request(
        lines: [ContextEntry], previous: ConversationSummary?, summaryTokens: Int, model: String?, conversation: String
    ) -> GenerationRequest {
        let words = max(20, summaryTokens * 3 / 4)
        let body = "Summary so far:\n\(previous?.text ?? "(none yet)")\n\nNew lines:\n"
            + lines.map(line).joined(separator: "\n")
        return GenerationRequest(
            messages: [
                ChatMessage(role: .system, content: instructions(words: words)),
                ChatMessage(role: .user, content: body),
            ],
            parameters: GenerationParameters(model: model, maxTokens: summaryTokens, temperature: 0.2),
            conversation: conversation)
    }

    /// A transcript line as the summariser reads it.
    static func line(_ entry: ContextEntry) -> String {
        switch entry.role {
        case .user: "\(entry.speakerName): \(entry.text)"
        case .assistant: "assistant: \(entry.text)"
        }
    }
}
