import ParleyCore
import ParleyTesting
import Testing

/// Streamed delivery on an editing connector (Matrix-style): a first draft at once, drafts no
/// more often than the interval, and the complete reply last, always.
@Suite struct ReplyWriterTests {
    /// Streams `pieces`, advancing the tester's clock by `step` before each one after the first.
    struct SteppedBackend: GenerationBackend {
        let pieces: [String]
        let step: Duration
        let clock: TestClock
        var name: BackendName { "stepped" }
        var contextWindow: Int { 4096 }
        func tokenCount(of message: ChatMessage) -> Int { TokenEstimate.tokens(in: message) }
        func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error> {
            // Unfolded: the clock moves only when the writer asks for the next piece.
            let pieces = pieces, step = step, clock = clock
            let next = Counter()
            return AsyncThrowingStream(unfolding: {
                let index = next.take()
                if index > 0 && index < pieces.count { clock.advance(by: step) }
                if index < pieces.count { return GenerationChunk(text: pieces[index]) }
                return index == pieces.count ? GenerationChunk(text: "", finishReason: .stop) : nil
            })
        }
    }

    final class Counter: Sendable {
        private let value = Locked(0)
        func take() -> Int {
            value.withLock { current in
                defer { current += 1 }
                return current
            }
        }
    }

    func run(step: Duration, interval: Duration, hold: Duration = .zero) async throws -> [OutboundMessage] {
        let clock = TestClock()
        let pieces = ["The ", "answer ", "is ", "forty-", "two."]
        let tester = BotTester(
            policy: ChannelPolicy(backend: "stepped"), backends: [SteppedBackend(pieces: pieces, step: step, clock: clock)],
            capabilities: ConnectorCapabilities(streaming: .edits(interval: interval, hold: hold)), clock: clock)
        tester.say("parley: question")
        _ = try await eventually("the complete reply") { tester.connector.sent.contains { $0.part == .complete } ? true : nil }
        return tester.connector.sent
    }

    @Test func aFastStreamSendsOneDraftThenTheCompleteReply() async throws {
        let sent = try await run(step: .milliseconds(100), interval: .seconds(1))
        #expect(sent.map(\.part) == [.draft, .complete])
        #expect(sent.map(\.text) == ["The", "The answer is forty-two."])
        #expect(sent.allSatisfy { $0.replyTo == sent[0].replyTo })
    }

    @Test func aSlowStreamIsEditedAtTheThrottledRate() async throws {
        let sent = try await run(step: .milliseconds(600), interval: .seconds(1))
        // Drafts at 0 s, 1.2 s (0.6 s is too soon) and 2.4 s; the last part always complete.
        #expect(sent.map(\.text) == ["The", "The answer is", "The answer is forty-two.", "The answer is forty-two."])
        #expect(sent.map(\.part) == [.draft, .draft, .draft, .complete])
    }

    @Test func aReplyDoneWithinTheHoldGoesOutOnceWhole() async throws {
        let sent = try await run(step: .milliseconds(100), interval: .seconds(1), hold: .seconds(1))
        #expect(sent.map(\.part) == [.complete])
        #expect(sent.map(\.text) == ["The answer is forty-two."])
    }

    @Test func aReplyLongerThanTheHoldShowsItsFirstDraftWhenTheHoldEnds() async throws {
        let sent = try await run(step: .milliseconds(300), interval: .seconds(1), hold: .milliseconds(500))
        // Pieces at 0, 0.3, 0.6 (the hold is over: first draft), 0.9, 1.2 s; then the whole reply.
        #expect(sent.map(\.text) == ["The answer is", "The answer is forty-two."])
        #expect(sent.map(\.part) == [.draft, .complete])
    }
}
