/// The system prompt of a grounded reply: the channel's prompt, the rule to answer from the
/// passages and cite them, then the passages under their titles.
enum GroundedPrompt {
    static let instructions = """
        Answer only from the passages below. After each statement taken from a passage, cite the \
        passage by its title in square brackets, exactly as written, for example [Billing › Refunds]. \
        Use square brackets for nothing else. If the passages do not answer the question, say you do \
        not know and offer to pass the question to a person.
        """

    /// `base` with the instructions and as many of `passages` (best first) as keep the whole
    /// within `maxTokens` as `count` measures it; nil if not even one fits.
    static func prompt(
        _ base: String, passages: [KnowledgePassage], maxTokens: Int, count: (String) -> Int
    ) -> (prompt: String, used: [KnowledgePassage])? {
        var prompt = base + "\n\n" + instructions
        var used: [KnowledgePassage] = []
        for passage in passages {
            let candidate = prompt + "\n\n[\(passage.title)]\n\(passage.text)"
            guard count(candidate) <= maxTokens else { break }
            prompt = candidate
            used.append(passage)
        }
        return used.isEmpty ? nil : (prompt, used)
    }
}
