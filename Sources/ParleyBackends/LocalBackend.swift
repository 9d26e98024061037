public import ParleyCore
public import ParleyInference

/// The local inference engine as a generation backend: the conversation rendered with the
/// model's chat template, exact token counts from the model's tokenizer, and a KV cache per
/// conversation so that a follow-up message only prefills its own tokens.
public struct LocalBackend: GenerationBackend {
    public let name: BackendName
    public let engine: InferenceEngine
    /// The template without its default system prompt, for counting one message at a time.
    private let countingTemplate: ChatTemplate

    /// The engine's KV caches hold the conversation's text as it was computed: they go too.
    public func forgetConversations(withPrefix prefix: String) async {
        engine.forgetConversations(withPrefix: prefix)
    }

    public init(name: BackendName, engine: InferenceEngine) {
        self.name = name
        self.engine = engine
        countingTemplate = ChatTemplate(style: engine.template.style)
    }

    public var contextWindow: Int { engine.model.contextLength }

    public func tokenCount(of message: ChatMessage) -> Int {
        let prompt = countingTemplate.prompt([Self.message(message)], addGenerationPrompt: false)
        return engine.model.tokenizer.encode(prompt, addBOS: false).count
    }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error> {
        let parameters = request.parameters
        var sampling = SamplingParameters()
        if let temperature = parameters.temperature { sampling.temperature = Float(temperature) }
        if let topP = parameters.topP { sampling.topP = Float(topP) }
        sampling.seed = parameters.seed
        let inference = InferenceRequest(
            prompt: .messages(request.messages.map(Self.message)),
            conversation: request.conversation,
            maxTokens: parameters.maxTokens,
            sampling: sampling,
            stop: parameters.stop)
        let events = engine.generate(inference)
        let backend = name
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in events {
                        switch event {
                        case .text(let text):
                            continuation.yield(GenerationChunk(text: text))
                        case .finished(let statistics):
                            let reason: GenerationChunk.FinishReason = switch statistics.ending {
                            case .endOfGeneration, .stopString: .stop
                            case .length: .length
                            case .cancelled: .cancelled
                            }
                            continuation.yield(GenerationChunk(text: "", finishReason: reason))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: GenerationError.backendFailed(backend: backend, detail: "\(error)"))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func message(_ message: ChatMessage) -> ChatTemplate.Message {
        ChatTemplate.Message(role: message.role.rawValue, content: message.content)
    }
}
