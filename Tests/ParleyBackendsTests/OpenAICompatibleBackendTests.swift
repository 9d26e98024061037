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
        #expect((json["stream_options"] as? [String: Bool]) == ["include_usage": true])
    }

    /// A bot on this backend, with a small window, and `lines` of chatter already in the channel.
    static func chattyBot(_ server: ScriptedHTTPServer, log: CapturedLog, lines: Int) async throws -> BotTester {
        let backend = OpenAICompatibleBackend(
            configuration: OpenAICompatibleConfiguration(
                name: "hosted", baseURL: server.baseURL, model: "m", contextWindow: 1000, maxRetries: 0),
            logger: log.logger)
        var policy = ChannelPolicy(backend: "hosted", parameters: GenerationParameters(maxTokens: 100), recordsChatter: true)
        policy.memory.summarizes = false
        let tester = BotTester(policy: policy, backends: [backend])
        for index in 0..<lines { tester.say("line \(index) of the chatter, about forty bytes") }
        return tester
    }

    static func messageCount(_ request: String) throws -> Int {
        let body = try #require(request.components(separatedBy: "\r\n\r\n").last)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        return try #require(json["messages"] as? [Any]).count
    }

    // Issue 15, must show: a server that counts more prompt tokens than estimated makes the next
    // prompt smaller.
    @Test func aServerThatCountsMoreTokensMakesTheNextPromptSmaller() async throws {
        let server = try ScriptedHTTPServer([
            .respond(status: 200, pieces: [(SSE.delta("ok"), .zero), (SSE.stop(promptTokens: 2400), .zero)]),
            .respond(status: 200, pieces: [(SSE.delta("ok"), .zero), (SSE.stop(promptTokens: 900), .zero)]),
        ])
        defer { server.stop() }
        let log = CapturedLog()
        let tester = try await Self.chattyBot(server, log: log, lines: 40)
        _ = try await tester.reply(to: "parley: first?")
        _ = try await tester.reply(to: "parley: second?")
        let first = try Self.messageCount(server.requests[0])
        let second = try Self.messageCount(server.requests[1])
        #expect(first == 42, "system, 40 lines, the question: all fit the estimate")
        #expect(second < first / 2, "the next prompt is cut to what the server's count leaves room for: \(second)")
        #expect(log.contains("the server counts more tokens than Parley estimated"))
        await tester.stop()
    }

    // Issue 15, must show: with privacy.redact on, the hosted backend's request log holds none
    // of the patterns' matches from a conversation; what the reply echoes is put back.
    @Test func aMaskedBackendSendsNoneOfWhatItMasksAndPutsEchoesBack() async throws {
        let server = try ScriptedHTTPServer([
            .respond(status: 200, pieces: [(SSE.delta("I'll write to [EM"), .zero), (SSE.delta("AIL_1] today."), .zero), (SSE.stop, .zero)]),
            .respond(status: 200, pieces: [(SSE.delta("Card [CARD_1] noted; IBAN [IBAN_1]."), .zero), (SSE.stop, .zero)]),
        ])
        defer { server.stop() }
        let mask = PrivacyMask(patterns: [.email, .phone, .card, .iban, .custom(name: "order", regex: "ORD-[0-9]{6}")])
        let hosted = MaskedBackend(Self.backend(server, retries: 0), mask: mask)
        let tester = BotTester(policy: ChannelPolicy(backend: hosted.name, recordsChatter: true), backends: [hosted])
        tester.say("my colleague is on +1 415 555 2671, ORD-123456 is late")
        let first = try await tester.reply(to: "parley: email me at jane@example.org please")
        #expect(first == "I'll write to jane@example.org today.")
        let second = try await tester.reply(to: "parley: pay with 5555 5555 5555 4444 from DE89 3704 0044 0532 0130 00")
        #expect(second == "Card 5555 5555 5555 4444 noted; IBAN DE89 3704 0044 0532 0130 00.")
        let log = server.requests.joined(separator: "\n")
        for secret in ["+1 415 555 2671", "ORD-123456", "jane@example.org", "5555 5555 5555 4444", "DE89 3704 0044 0532 0130 00"] {
            #expect(!log.contains(secret), "\(secret) left the machine")
        }
        #expect(log.contains("[EMAIL_1]") && log.contains("[PHONE_1]") && log.contains("[ORDER_1]") && log.contains("[CARD_1]"))
        await tester.stop()
    }

    // Issue 15, must show: a server that cuts prompts (Ollama's /v1 at its own context size) is
    // detected and the operator told how to fix it.
    @Test func aServerThatCutsPromptsIsDetectedAndWarnedAbout() async throws {
        let server = try ScriptedHTTPServer([
            .respond(status: 200, pieces: [(SSE.delta("ok"), .zero), (SSE.stop(promptTokens: 128), .zero)]),
        ])
        defer { server.stop() }
        let log = CapturedLog()
        let tester = try await Self.chattyBot(server, log: log, lines: 40)
        _ = try await tester.reply(to: "parley: anyone?")
        _ = try await eventually("the warning") { log.contains("seems to cut prompts") ? true : nil }
        #expect(log.contains("OLLAMA_CONTEXT_LENGTH"))
        await tester.stop()
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

    // Issue 20: a refused key is not retried, and the channel is not told to try again.
    @Test func aRefusedKeyIsNotRetriedAndSaysSo() async throws {
        let refused = ScriptedHTTPServer.Reply.respond(
            status: 401, headers: ["Content-Type": "application/json"], pieces: [("{\"error\":{\"message\":\"Incorrect API key\"}}", .zero)])
        let server = try ScriptedHTTPServer([refused, refused, refused])
        defer { server.stop() }
        let result = await Self.collect(Self.backend(server, retries: 2))
        #expect(server.requests.count == 1)
        let error = try #require(result.error as? GenerationError)
        #expect(error == .backendRefused(backend: "hosted", detail: "HTTP 401: Incorrect API key"))
        #expect("\(error)".contains("api_key") && !"\(error)".contains("sk-test-secret"))
        #expect(error.sentence == .unavailable && !error.userMessage.contains("try again"))
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
