import Foundation
import Logging
import ParleyBackends
import ParleyCore
@testable import ParleyDaemon
import Synchronization
import Testing

/// The OpenAI-compatible backend against a real server: the llama.cpp server from the PyPI
/// package llama-cpp-python, on the reference model, started by `scripts/openai-test-server`
/// (`scripts/test` does). A missing server fails the tests. One at a time: the server has one slot.
@Suite(.serialized) struct LlamaServerTests {
    let baseURL: String
    let model: String

    struct Missing: Error, CustomStringConvertible {
        var description: String { "no OpenAI-compatible test server: run `scripts/openai-test-server start` (scripts/test does)" }
    }

    init() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard let text = try? String(contentsOf: repository.appendingPathComponent(".build-openai/env"), encoding: .utf8) else { throw Missing() }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let url = values["PARLEY_OPENAI_BASE_URL"], let model = values["PARLEY_OPENAI_MODEL"] else { throw Missing() }
        baseURL = url
        self.model = model
    }

    /// `parley chat` in-process with a console channel answered by the server.
    func chat(_ lines: [String], streaming: Bool) async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-openai-\(UUID().uuidString)")
        let config = """
            storage: { path: "\(folder.appendingPathComponent("p.sqlite").path)" }
            backends:
              server: { type: openai, base_url: "\(baseURL)", model: \(model), stream: \(streaming), context: 2048 }
            networks:
              console: { type: console }
            channels:
              - match: { network: console }
                trigger: always
                backend: server
                max_tokens: 24
                temperature: 0

            """
        let configuration = try ConfigLoader.parse(config, file: "test.yaml", environment: [:])
        return try await Daemon.chat(
            configuration, input: lines, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test(arguments: [true, false])
    func repliesFromTheServerReachTheConsole(streaming: Bool) async throws {
        let printed = try await chat(["What is the capital of France?"], streaming: streaming)
        #expect(printed.hasPrefix("<parley> "))
        #expect(printed.hasSuffix("\n"))
        #expect(printed.count > "<parley> \n".count + 1)
        #expect(!printed.contains("Sorry, I couldn't"), "\(printed)")
    }

    @Test func theBackendStreamsSeveralPiecesAndAFinishReason() async throws {
        let backend = OpenAICompatibleBackend(
            configuration: OpenAICompatibleConfiguration(name: "server", baseURL: URL(string: baseURL)!, model: model),
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let request = GenerationRequest(
            messages: [ChatMessage(role: .user, content: "Count from one to ten in words.")],
            parameters: GenerationParameters(maxTokens: 16, temperature: 0), conversation: "c")
        var chunks: [GenerationChunk] = []
        for try await chunk in backend.stream(request) { chunks.append(chunk) }
        #expect(chunks.filter { !$0.text.isEmpty }.count > 1, "streamed in pieces")
        #expect(chunks.last?.finishReason != nil)
    }

    // Issue 15: the real server reports usage when asked (`stream_options.include_usage`, and in
    // a whole reply), and the backend learns its count from it: SmolLM2's BPE takes about four
    // bytes of English a token where the estimate assumes three.
    @Test(arguments: [true, false])
    func theServersUsageReportCalibratesTheEstimate(streaming: Bool) async throws {
        let backend = OpenAICompatibleBackend(
            configuration: OpenAICompatibleConfiguration(name: "server", baseURL: URL(string: baseURL)!, model: model, streaming: streaming),
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let text = String(repeating: "The quick brown fox jumps over the lazy dog near the river bank. ", count: 20)
        let request = GenerationRequest(
            messages: [ChatMessage(role: .user, content: text + "How many foxes?")],
            parameters: GenerationParameters(maxTokens: 4, temperature: 0), conversation: "c")
        #expect(backend.countScale == 1)
        for try await _ in backend.stream(request) {}
        #expect(backend.countScale < 0.95 && backend.countScale >= 0.6, "learnt from the report: \(backend.countScale)")
    }
}
