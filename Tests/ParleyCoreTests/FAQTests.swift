import ParleyCore
import Testing

@Suite struct FAQTests {
    static let faq = FAQ(entries: [
        FAQ.Entry(questions: ["How do I reset my password?", "Forgot password"], answer: "reset"),
        FAQ.Entry(questions: ["What are your opening hours?"], answer: "hours"),
    ])

    @Test func strongMatchesAnswerAndWeakOnesDoNot() {
        #expect(Self.faq.answer(to: "how can I reset my password??") == "reset")
        #expect(Self.faq.answer(to: "I forgot my password") == "reset")
        #expect(Self.faq.answer(to: "opening hours") == "hours")
        #expect(Self.faq.answer(to: "my password manager crashed and I lost the files") == nil)
        #expect(Self.faq.answer(to: "the the the") == nil, "only stop words")
        #expect(Self.faq.answer(to: "") == nil)
    }
}
