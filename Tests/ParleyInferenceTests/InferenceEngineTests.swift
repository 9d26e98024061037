import Foundation
@testable import ParleyInference
import Testing

@Suite(.serialized) struct InferenceEngineTests {
    static let engine: Result<InferenceEngine, any Error> = Result {
        InferenceEngine(model: try GoldenModelTests.model.get(), cachedConversations: 2)
    }

    func run(_ engine: InferenceEngine, _ request: InferenceRequest) async throws -> (text: String, stats: InferenceStatistics) {
        var text = ""
        var stats: InferenceStatistics?
        for try await event in engine.generate(request) {
            switch event {
            case .text(let piece): text += piece
            case .finished(let statistics): stats = statistics
            }
        }
        return (text, try #require(stats))
    }

    static func commonPrefix(_ a: [Int], _ b: [Int]) -> Int {
        zip(a, b).prefix { $0 == $1 }.count
    }

    @Test func aFollowUpPrefillsOnlyItsOwnTokens() async throws {
        let engine = try Self.engine.get()
        var history: [ChatTemplate.Message] = [.init(role: "system", content: "You are a helpful assistant.")]
        for turn in 1...12 {
            history.append(.init(role: "user", content: "Tell me fact number \(turn) about the history of the Internet Relay Chat protocol, its servers, its channels and the people who wrote its specifications."))
            history.append(.init(role: "assistant", content: "Fact \(turn): IRC was created in 1988 by Jarkko Oikarinen at the University of Oulu; it spread through networks such as EFnet, Undernet, DALnet and later Libera.Chat."))
        }
        history.append(.init(role: "user", content: "Summarise all that."))
        let first = try await run(engine, InferenceRequest(prompt: .messages(history), conversation: "c1", maxTokens: 8))
        #expect(first.stats.promptTokens.count > 1000)
        #expect(first.stats.prefilledTokens == first.stats.promptTokens.count)

        history.append(.init(role: "assistant", content: first.text))
        history.append(.init(role: "user", content: "Thanks! And who wrote RFC 1459?"))
        let second = try await run(engine, InferenceRequest(prompt: .messages(history), conversation: "c1", maxTokens: 8))
        // The last token of a reply cut at the limit was sampled but never run through the model.
        let cached = first.stats.promptTokens + first.stats.generatedTokens.dropLast(first.stats.ending == .length ? 1 : 0)
        let reused = Self.commonPrefix(second.stats.promptTokens, cached)
        #expect(reused >= first.stats.promptTokens.count, "the whole earlier prompt is reused")
        #expect(second.stats.prefilledTokens == second.stats.promptTokens.count - reused)
        #expect(second.stats.prefilledTokens < 40, "only the new turn is prefilled: \(second.stats.prefilledTokens)")

        // Another conversation does not disturb the first one's cache.
        _ = try await run(engine, InferenceRequest(prompt: .text("Hello"), conversation: "c2", maxTokens: 2))
        let third = try await run(engine, InferenceRequest(prompt: .messages(history), conversation: "c1", maxTokens: 2))
        #expect(third.stats.prefilledTokens == 1, "an identical prompt re-runs only its last token")
    }

    @Test func stopsAtEndOfGenerationAndAtStopStringsAndAtTheTokenLimit() async throws {
        let engine = try Self.engine.get()
        let golden = Golden.shared.chat_cases[0]  // "The capital of France is Paris." then <|im_end|>
        let messages = golden.messages.map { ChatTemplate.Message(role: $0.role, content: $0.content) }
        #expect(engine.tokens(for: .messages(messages)) == golden.prompt_ids)
        // "The" is a close call (golden margin 0.09 over "La"), so it is given; every later step
        // up to <|im_end|> is decisive (margins from 0.87).
        let prompt = InferenceRequest.Prompt.tokens(golden.prompt_ids + [golden.generated_ids[0]])
        let natural = try await run(engine, InferenceRequest(prompt: prompt, maxTokens: 48))
        #expect(natural.stats.ending == .endOfGeneration)
        #expect(natural.text == " capital of France is Paris.")
        let stopped = try await run(engine, InferenceRequest(prompt: prompt, maxTokens: 48, stop: [" is "]))
        #expect(stopped.stats.ending == .stopString)
        #expect(stopped.text == " capital of France")
        let limited = try await run(engine, InferenceRequest(prompt: .messages(messages), maxTokens: 3))
        #expect(limited.stats.ending == .length && limited.stats.generatedTokens.count == 3)
    }

    @Test func samplingWithASeedIsRepeatable() async throws {
        let engine = try Self.engine.get()
        let sampling = SamplingParameters(temperature: 0.9, seed: 42)
        let request = InferenceRequest(prompt: .text("Once upon a time"), maxTokens: 12, sampling: sampling, ignoreEndOfGeneration: true)
        let a = try await run(engine, request)
        let b = try await run(engine, request)
        #expect(a.stats.generatedTokens == b.stats.generatedTokens)
    }

    @Test func abandoningAStreamStopsTheGenerationBetweenTokens() async throws {
        let engine = InferenceEngine(model: try GoldenModelTests.model.get())
        let request = InferenceRequest(prompt: .text("Count: one, two, three,"), maxTokens: 1000, ignoreEndOfGeneration: true)
        var pieces = 0
        for try await event in engine.generate(request) {
            if case .text = event { pieces += 1 }
            if pieces == 3 { break }
        }
        // The engine runs one job at a time: this one starts only after the abandoned one ended.
        let next = try await run(engine, InferenceRequest(prompt: .text("Hi"), maxTokens: 2))
        #expect(next.stats.generatedTokens.count == 2)
        #expect(engine.generatedTokenCount < 100, "the abandoned generation went on for \(engine.generatedTokenCount - 2) tokens")
    }

    @Test func aPromptLongerThanTheContextIsAClearError() async throws {
        let engine = try Self.engine.get()
        let long = String(repeating: "word ", count: 2500)
        await #expect(throws: ModelError.self) {
            _ = try await run(engine, InferenceRequest(prompt: .text(long), maxTokens: 4))
        }
    }
}

extension InferenceEngineTests {
    // Issue 15: a forget-me drops the KV caches of the person's network; a fresh engine of its
    // own, so the shared one's caches are not disturbed.
    @Test func forgettingAConversationDropsItsCacheAndItIsComputedAgain() async throws {
        let engine = InferenceEngine(model: try GoldenModelTests.model.get(), cachedConversations: 4)
        _ = try await run(engine, InferenceRequest(prompt: .text("My secret is plum"), conversation: "irc/#a", maxTokens: 1))
        _ = try await run(engine, InferenceRequest(prompt: .text("Hello"), conversation: "matrix/!r", maxTokens: 1))
        #expect(engine.cachedConversations == ["irc/#a", "matrix/!r"])
        engine.forgetConversations(withPrefix: "irc/")
        #expect(engine.cachedConversations == ["matrix/!r"])
        let again = try await run(engine, InferenceRequest(prompt: .text("My secret is plum"), conversation: "irc/#a", maxTokens: 1))
        #expect(again.stats.prefilledTokens == again.stats.promptTokens.count, "nothing of it was left to reuse")
    }
}

extension InferenceEngineTests {
    /// Conversations generating at the same time are decoded together — one of them with a prompt
    /// long enough to be prefilled in chunks between the others' tokens — and each gets exactly
    /// the tokens it gets alone.
    @Test func conversationsDecodedTogetherGetTheTokensTheyGetAlone() async throws {
        let model = try GoldenModelTests.model.get()
        let long = (1...40).map { "Line \($0): the quick brown fox jumps over the lazy dog." }.joined(separator: "\n")
        let requests = [
            InferenceRequest(prompt: .text("The capital of France is"), conversation: "a", maxTokens: 40, ignoreEndOfGeneration: true),
            InferenceRequest(prompt: .text(long + "\nSummary:"), conversation: "b", maxTokens: 24, ignoreEndOfGeneration: true),
            InferenceRequest(
                prompt: .text("Once upon a time"), conversation: "c", maxTokens: 40,
                sampling: SamplingParameters(temperature: 0.8, seed: 7), ignoreEndOfGeneration: true),
        ]
        let alone = InferenceEngine(model: model, batchWidth: 1)
        var expected: [[Int]] = []
        for request in requests { expected.append(try await run(alone, request).stats.generatedTokens) }
        #expect(alone.largestBatch == 1)

        let together = InferenceEngine(model: model, batchWidth: 4)
        let streams = requests.map { together.generate($0) }
        let results = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask {
                    var tokens: [Int] = []
                    for try await event in stream { if case .finished(let stats) = event { tokens = stats.generatedTokens } }
                    return (index, tokens)
                }
            }
            return try await group.reduce(into: [Int: [Int]]()) { $0[$1.0] = $1.1 }
        }
        #expect(model.tokenizer.encode(long, addBOS: false).count > 2 * Transformer.maxBatch, "the long prompt takes several chunks")
        for index in requests.indices {
            #expect(results[index] == expected[index], "conversation \(index)")
        }
        #expect(together.largestBatch >= 2, "the generations overlapped")
        #expect(together.largestInterleavedPass > 2, "the long prompt was prefilled beside the others' decoding")
        #expect(together.largestInterleavedPass <= InferenceEngine.interleavedRows, "in short chunks")
    }

    /// A second request for a conversation that is generating waits for the first (they share
    /// the conversation's cache).
    @Test func oneConversationsRequestsTakeTurns() async throws {
        let engine = InferenceEngine(model: try GoldenModelTests.model.get(), batchWidth: 4)
        let request = InferenceRequest(prompt: .text("Hello there"), conversation: "same", maxTokens: 12, ignoreEndOfGeneration: true)
        async let first = run(engine, request)
        async let second = run(engine, request)
        let (a, b) = try await (first, second)
        #expect(a.stats.generatedTokens == b.stats.generatedTokens)
        #expect(engine.largestBatch == 1)
    }
}
