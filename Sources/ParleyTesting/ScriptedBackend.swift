public import ParleyCore

/// A generation backend for tests: replies come from a script, requests are recorded.
public final class ScriptedBackend: GenerationBackend {
    public let name: BackendName
    public let contextWindow: Int
    private let script: @Sendable (GenerationRequest) async throws -> [String]
    private let counter: @Sendable (ChatMessage) -> Int
    private let recorded = Locked<[GenerationRequest]>([])

    /// - Parameters:
    ///   - tokens: how many tokens a message counts for; by default one per word plus one.
    ///   - script: the chunks of the reply to a request (or an error to fail it).
    public init(
        name: BackendName = "scripted",
        contextWindow: Int = 4096,
        tokens: @escaping @Sendable (ChatMessage) -> Int = { $0.content.split(separator: " ").count + 1 },
        script: @escaping @Sendable (GenerationRequest) async throws -> [String]
    ) {
        self.name = name
        self.contextWindow = contextWindow
        self.counter = tokens
        self.script = script
    }

    /// A backend that answers every request with `reply`, in word-sized chunks.
    public convenience init(name: BackendName = "scripted", contextWindow: Int = 4096, replying reply: String) {
        self.init(name: name, contextWindow: contextWindow) { _ in Self.chunks(of: reply) }
    }

    /// Every request so far, in order.
    public var requests: [GenerationRequest] { recorded.withLock { $0 } }
    /// The prefixes `forgetConversations` was called with, in order.
    public var forgottenPrefixes: [String] { forgotten.withLock { $0 } }
    private let forgotten = Locked<[String]>([])

    public func forgetConversations(withPrefix prefix: String) async {
        forgotten.withLock { $0.append(prefix) }
    }

    public func tokenCount(of message: ChatMessage) -> Int { counter(message) }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error> {
        recorded.withLock { $0.append(request) }
        let script = self.script
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for chunk in try await script(request) {
                        try Task.checkCancellation()
                        continuation.yield(GenerationChunk(text: chunk))
                    }
                    continuation.yield(GenerationChunk(text: "", finishReason: .stop))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// `text` split after each space, as a model streams words.
    public static func chunks(of text: String) -> [String] {
        var chunks: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " {
                chunks.append(current)
                current = ""
            }
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }
}
