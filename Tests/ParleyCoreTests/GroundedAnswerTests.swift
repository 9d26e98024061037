@testable import ParleyCore
import ParleyTesting
import Testing

/// Channels with `knowledge:`: the FAQ, "don't know" without the model, passages in the prompt,
/// and citations of passages not given removed. (Tests for ChannelSession's grounded path.)
@Suite struct GroundedAnswerTests {
    /// A knowledge base that finds what the test says, and records the questions.
    final class Shelf: KnowledgeBase {
        let passages: [KnowledgePassage]
        let asked = Locked<[String]>([])

        init(_ passages: [KnowledgePassage]) {
            self.passages = passages
        }

        func search(_ question: String, in paths: [String], limit: Int) async throws -> [KnowledgePassage] {
            asked.withLock { $0.append(question) }
            return Array(passages.prefix(limit))
        }
    }

    static let refunds = KnowledgePassage(
        source: "billing.md", headings: ["Billing", "Refunds"], text: "Refunds within 30 days.", score: 5, coverage: 0.8)
    static let weak = KnowledgePassage(source: "misc.md", headings: ["Misc"], text: "Unrelated.", score: 1, coverage: 0.1)

    static func tester(_ backend: ScriptedBackend, shelf: Shelf, faq: FAQ? = nil, language: BotLanguage = .english) -> BotTester {
        var policy = ChannelPolicy(systemPrompt: "You are the helpdesk.", backend: backend.name, language: language)
        policy.knowledge = KnowledgePolicy(paths: ["docs"], topK: 3, minScore: 0.3, faq: faq)
        return BotTester(policy: policy, backends: [backend], knowledge: shelf)
    }

    @Test func aQuestionNoPassageAnswersGetsDontKnowWithoutGenerating() async throws {
        let backend = ScriptedBackend(replying: "made up")
        let tester = Self.tester(backend, shelf: Shelf([Self.weak]))
        #expect(try await tester.reply(to: "parley: what is the capital of Australia?") == BotSentence.dontKnow.text(in: .english))
        let nothing = Self.tester(backend, shelf: Shelf([]), language: .simplifiedChinese)
        #expect(try await nothing.reply(to: "parley: 天气怎么样？") == BotSentence.dontKnow.text(in: .simplifiedChinese))
        #expect(backend.requests.isEmpty, "the model was asked")
        await tester.stop()
        await nothing.stop()
    }

    @Test func anFAQMatchIsAnsweredWithoutTheModel() async throws {
        let backend = ScriptedBackend(replying: "made up")
        let shelf = Shelf([Self.refunds])
        let faq = FAQ(entries: [FAQ.Entry(questions: ["How do I reset my password?"], answer: "Press Forgot password.")])
        let tester = Self.tester(backend, shelf: shelf, faq: faq)
        #expect(try await tester.reply(to: "parley: how can I reset my password") == "Press Forgot password.")
        #expect(backend.requests.isEmpty && shelf.asked.withLock { $0 }.isEmpty)
        _ = try await tester.reply(to: "parley: can I get a refund?")
        #expect(backend.requests.count == 1, "a question the FAQ does not match goes to the model")
        await tester.stop()
    }

    @Test func thePassagesGoIntoThePromptAndOnlyGivenCitationsSurvive() async throws {
        let backend = ScriptedBackend(name: "scripted") { _ in
            ["Yes, within 30 days ", "[Billing › Ref", "unds]. Also see", " [Shipping › Returns]", " and [the site](https://x)."]
        }
        let shelf = Shelf([Self.refunds])
        let tester = Self.tester(backend, shelf: shelf)
        let reply = try await tester.reply(to: "parley: can I get a refund?")
        #expect(reply == "Yes, within 30 days [Billing › Refunds]. Also see and [the site](https://x).")
        let system = try #require(backend.requests.first?.messages.first?.content)
        #expect(system.hasPrefix("You are the helpdesk.") && system.contains("[Billing › Refunds]\nRefunds within 30 days."))
        #expect(system.contains("cite the passage by its title in square brackets"))
        #expect(shelf.asked.withLock { $0 } == ["can I get a refund?"])
        await tester.stop()
    }
}
