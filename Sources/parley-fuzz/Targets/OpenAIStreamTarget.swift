import Dispatch
import Foundation
import Logging
import ParleyBackends
import ParleyCore
import ParleyHTTP

extension FuzzTarget {
    /// What an OpenAI-compatible server answers (an HTTP status, then a body cut anywhere: server-
    /// sent events, or one JSON reply) through the whole backend: the event-stream parser, chunk
    /// and error decoding, finish reasons. Property: the reply stream ends, and nothing follows
    /// the chunk that finishes it.
    static let openAIStream = FuzzTarget(name: "openai-stream", summary: "a server's reply → the OpenAI-compatible backend") { data in
        var input = FuzzInput(data)
        let streaming = input.byte() & 0x3 != 0
        let status = [200, 200, 200, 400, 401, 429, 500, 503][input.int(in: 0...7)]
        let pieceSize = input.int(in: 1...256)
        let pieces = input.restInPieces(of: pieceSize).map { Data($0) }
        let backend = OpenAICompatibleBackend(
            configuration: OpenAICompatibleConfiguration(
                name: BackendName("fuzz"), baseURL: URL(string: "http://127.0.0.1:9/v1")!, model: "fuzz", streaming: streaming,
                maxRetries: 0),
            logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }),
            http: ScriptedReply(status: status, pieces: pieces))
        let request = GenerationRequest(
            messages: [ChatMessage(role: .user, content: "hello")], parameters: GenerationParameters(), conversation: "fuzz")
        let done = DispatchSemaphore(value: 0)
        Task {
            var finished = false
            do {
                for try await chunk in backend.stream(request) {
                    expect(!finished, "a chunk after the one that finished the reply")
                    finished = chunk.finishReason != nil
                }
            } catch {}
            done.signal()
        }
        done.wait()
    }
}

/// An HTTP layer that answers every request with one status and the given body pieces.
private struct ScriptedReply: HTTPClient {
    var status: Int
    var pieces: [Data]

    func stream(_ request: HTTPRequest) -> AsyncThrowingStream<HTTPStreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            continuation.yield(.head(status: status, headers: [:]))
            for piece in pieces { continuation.yield(.body(piece)) }
            continuation.finish()
        }
    }
}
