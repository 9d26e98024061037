import Foundation
@testable import ParleyCore
import Testing

@Suite struct TokenBudgetTests {
    /// One token per character, so sizes are easy to reason about.
    let count: (ChatMessage) -> Int = { $0.content.count }

    func entry(_ speaker: String, _ text: String) -> ContextEntry {
        ContextEntry(role: .user, speaker: UserID(speaker), speakerName: speaker, text: text)
    }

    @Test func dropsOldestEntriesFirstUntilTheRestFits() {
        let entries = (1...10).map { entry("u", "message \($0)") }  // "u: message N" = 12-13 tokens
        let budget = TokenBudget(contextWindow: 100, replyTokens: 40)  // 60 for the prompt
        let messages = budget.messages(systemPrompt: "sys", entries: entries, count: count)
        #expect(messages.first == ChatMessage(role: .system, content: "sys"))
        #expect(messages.last?.content == "u: message 10")
        let used = messages.map(count).reduce(0, +)
        #expect(used <= 60)
        // Four of the newest fit (3 + 13 * 4 = 55); a fifth would not.
        #expect(messages.dropFirst().map(\.content) == ["u: message 7", "u: message 8", "u: message 9", "u: message 10"])
    }

    @Test func keepsSystemPromptAndNewestMessageEvenWhenTheyAloneExceedTheBudget() {
        let long = String(repeating: "x", count: 500)
        let entries = [entry("u", "old"), entry("u", long)]
        let budget = TokenBudget(contextWindow: 100, replyTokens: 50)
        let messages = budget.messages(systemPrompt: "a long system prompt", entries: entries, count: count)
        #expect(messages.map(\.role) == [.system, .user])
        #expect(messages[0].content == "a long system prompt")
        #expect(messages[1].content == "u: " + long)
    }

    @Test func attributesPeoplesLinesToTheirSpeakers() {
        let entries = [
            entry("alice", "hi"),
            ContextEntry(role: .assistant, speaker: nil, speakerName: "", addressee: "alice", text: "hello"),
            entry("bob", "and me?"),
        ]
        let messages = TokenBudget(contextWindow: 1000, replyTokens: 10)
            .messages(systemPrompt: "s", entries: entries, count: count)
        #expect(messages.dropFirst().map(\.content) == ["alice: hi", "hello", "bob: and me?"])
        #expect(messages.dropFirst().map(\.role) == [.user, .assistant, .user])
    }
}
