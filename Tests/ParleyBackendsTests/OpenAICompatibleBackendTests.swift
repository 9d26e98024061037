import Foundation
import Logging
import ParleyCore
@testable import ParleyBackends
import ParleyTesting
import Synchronization
import Testing

/// The OpenAI-compatible backend against a scripted HTTP server: streaming, retries, and the
/// faults a real server does not produce on demand.
@Suite struct OpenAICompatibleBackendTests {
    static func backend(_ server: ScriptedHTTPServer, streaming: Bool = true, retries: Int = 2, idle: Duration = .seconds(5)) -> OpenAICompatibleBackend {
        OpenAICompatibleBackend(
            configuration: OpenAICompatibleConfiguration(
                name: "hosted", baseURL: server.baseURL, apiKey: Secret("sk-test-secret"), model: "test-model",
                streaming: streaming, idleTimeout: idle, totalTimeout: .seconds(30), maxRetries: retries, retryDelay: .milliseconds(50)),
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static let request = GenerationRequest(
        messages: [ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "Hi")],
        parameters: GenerationParameters(maxTokens: 20, temperature: 0.5, stop: ["\n\n"]), conversation: "c")

    /// The whole reply, or the error the stream ended with.
    static func collect(_ backend: OpenAICompatibleBackend) async -> (text: String, chunks: [GenerationChunk], error: (any Error)?) {
        var chunks: [GenerationChunk] = []
        do {
            for try await chunk in backend.stream(request) { chunks.append(chunk) }
            return (chunks.map(\.text).joined(), chunks, nil)
        } catch {
            return (chunks.map(\.text).joined(), chunks, error)
        }
    }

    @Test func streamsTheReplyAsItIsWrittenAndSendsWhatTheChannelAsked() async throws {
        let server = try ScriptedHTTPServer([.respond(status: 200, pieces: [(SSE.delta("Hel"), .zero), (SSE.delta("lo, wörld"), .milliseconds(20)), (SSE.stop, .zero)])])
        defer { server.stop() }
        let result = await Self.collect(Self.backend(server))
        #expect(result.error == nil)
        #expect(result.text == "Hello, wörld")
        #expect(result.chunks.map(\.text).filter { !$0.isEmpty } == ["Hel", "lo, wörld"])
        #expect(result.chunks.last?.finishReason == .stop)
        let request = try #require(server.requests.first)
        #expect(request.hasPrefix("POST /v1/chat/completions HTTP/1.1"))
        #expect(request.lowercased().contains("authorization: bearer sk-test-secret"))
        let body = try #require(request.components(separatedBy: "\r\n\r\n").last)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(json["model"] as? String == "test-model" && json["stream"] as? Bool == true)
        #expect(json["max_tokens"] as? Int == 20 && json["temperature"] as? Double == 0.5 && json["stop"] as? [String] == ["\n\n"])
        #expect((json["messages"] as? [[String: String]])?.map { $0["role"] ?? "" } == ["system", "user"])
    }

    @Test func aRateLimitIsRetriedAfterTheTimeTheServerAsks() async throws {
        let server = try ScriptedHTTPServer([
            .respond(status: 429, headers: ["Retry-After": "1", "Content-Type": "application/json"], pieces: [("{\"error\":{\"message\":\"slow down\"}}", .zero)]),
            .respond(status: 200, pieces: [(SSE.delta("ok"), .zero), (SSE.stop, .zero)]),
        ])
        defer { server.stop() }
        let started = ContinuousClock.now
        let result = await Self.collect(Self.backend(server))
        #expect(result.error == nil && result.text == "ok")
        #expect(server.requests.count == 2)
        #expect(ContinuousClock.now - started >= .milliseconds(900), "Retry-After: 1 was honoured")
    }

    @Test func serverErrorsAreRetriedThenReportedInOneSentence() async throws {
        let failure = ScriptedHTTPServer.Reply.respond(status: 500, headers: ["Content-Type": "application/json"], pieces: [("{\"error\":{\"message\":\"model crashed\"}}", .zero)])
        let server = try ScriptedHTTPServer([failure, failure, failure])
        defer { server.stop() }
        let result = await Self.collect(Self.backend(server, retries: 2))
        #expect(server.requests.count == 3)
        let error = try #require(result.error as? GenerationError)
        #expect("\(error)".contains("HTTP 500: model crashed"))
        #expect(!"\(error)".contains("sk-test-secret"))
        #expect(error.userMessage.split(separator: ".").count <= 2 && !error.userMessage.contains("500"))
    }

    @Test func aStalledStreamTimesOut() async throws {
        let server = try ScriptedHTTPServer([.stall(status: 200, pieces: [SSE.delta("Hel")])])
        defer { server.stop() }
        let result = await Self.collect(Self.backend(server, retries: 0, idle: .seconds(1)))
        #expect(result.text == "Hel")
        #expect(result.error is GenerationError)
    }

    @Test func malformedEventsAreSkippedAndTheReplyGoesOn() async throws {
        let server = try ScriptedHTTPServer([.respond(status: 200, pieces: [
            (SSE.delta("a"), .zero), ("data: {not json\n\n", .zero), ("data: {\"choices\":\"wrong shape\"}\n\n", .zero),
            ("garbage line without a field\n\n", .zero), (SSE.delta("b"), .zero), (SSE.stop, .zero),
        ])])
        defer { server.stop() }
        let result = await Self.collect(Self.backend(server))
        #expect(result.error == nil && result.text == "ab")
    }

    @Test func aConnectionResetMidStreamFailsWithoutRetryingOnceTextWasShown() async throws {
        let server = try ScriptedHTTPServer([.reset(pieces: [SSE.delta("partial ")]), .respond(status: 200, pieces: [(SSE.delta("again"), .zero), (SSE.stop, .zero)])])
        defer { server.stop() }
        let result = await Self.collect(Self.backend(server))
        #expect(result.text == "partial ")
        #expect(result.error is GenerationError)
        #expect(server.requests.count == 1, "no second attempt after visible text")
    }

    @Test func aResetBeforeAnyTextIsRetried() async throws {
        let server = try ScriptedHTTPServer([.reset(pieces: []), .respond(status: 200, pieces: [(SSE.delta("fine"), .zero), (SSE.stop, .zero)])])
        defer { server.stop() }
        let result = await Self.collect(Self.backend(server))
        #expect(result.error == nil && result.text == "fine")
    }

    @Test func theNonStreamingModeReadsOneJSONReply() async throws {
        let body = "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Whole reply.\"},\"finish_reason\":\"length\"}],\"usage\":{}}"
        let server = try ScriptedHTTPServer([.respond(status: 200, headers: ["Content-Type": "application/json"], pieces: [(body, .zero)])])
        defer { server.stop() }
        let result = await Self.collect(Self.backend(server, streaming: false))
        #expect(result.error == nil && result.text == "Whole reply." && result.chunks.last?.finishReason == .length)
    }

    @Test func stoppingTheIterationClosesTheTransfer() async throws {
        // Long enough (40 s) that the server is still writing when the client hangs up.
        let pieces = (0..<2000).map { (SSE.delta("word\($0) "), Duration.milliseconds(20)) }
        let server = try ScriptedHTTPServer([.respond(status: 200, pieces: pieces)])
        defer { server.stop() }
        var received = 0
        for try await chunk in Self.backend(server).stream(Self.request) where !chunk.text.isEmpty {
            received += 1
            if received == 3 { break }
        }
        _ = try await eventually("the server to see the hang-up", timeout: .seconds(30)) { server.clientHungUp ? true : nil }
    }
}

extension OpenAICompatibleBackendTests {
    @Test func afterAFailureTheUserIsToldOnceAndTheNextMessageIsAnswered() async throws {
        let failure = ScriptedHTTPServer.Reply.respond(status: 503, headers: ["Content-Type": "application/json"], pieces: [("{\"error\":{\"message\":\"overloaded\"}}", .zero)])
        let server = try ScriptedHTTPServer([failure, failure, .respond(status: 200, pieces: [(SSE.delta("Back again."), .zero), (SSE.stop, .zero)])])
        defer { server.stop() }
        let backend = Self.backend(server, retries: 1)
        let tester = BotTester(backend: backend, policy: ChannelPolicy(backend: backend.name))
        #expect(try await tester.reply(to: "parley: first") == "Sorry, I couldn't produce an answer just now; please try again in a moment.")
        #expect(try await tester.reply(to: "parley: second") == "Back again.")
        #expect(server.requests.count == 3)
    }
}
