/// Something that writes replies: an OpenAI-compatible HTTP API or the local engine.
public protocol GenerationBackend: Sendable {
    /// The name the config gives this backend.
    var name: BackendName { get }
    /// How many tokens the model attends to: the prompt and the reply together.
    var contextWindow: Int { get }

    /// How many tokens `message` takes in a prompt, template overhead included; exact where the
    /// backend has the model's tokenizer, an estimate with a safety margin otherwise.
    func tokenCount(of message: ChatMessage) -> Int

    /// Streams the reply to `request`. Ending the iteration early (or cancelling the consuming
    /// task) cancels the generation.
    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error>

    /// How many tokens the backend really takes per token `tokenCount` says, as far as it has
    /// learnt (a hosted server's usage reports); the budget divides by it. 1 where counts are exact.
    var countScale: Double { get }

    /// Throws if the backend cannot be reached now (for `/ready`); cheap, and generates nothing.
    func probe() async throws

    /// Drops whatever the backend keeps of the conversations whose names begin with `prefix`
    /// (the local engine's KV caches); after a forget-me.
    func forgetConversations(withPrefix prefix: String) async
}

extension GenerationBackend {
    public var countScale: Double { 1 }

    /// In-process backends are reachable once they exist.
    public func probe() async throws {}

    /// A backend that keeps nothing between requests has nothing to drop.
    public func forgetConversations(withPrefix prefix: String) async {}
}

/// One turn of a conversation as chat models take it.
public struct ChatMessage: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// Sampling and length settings for one generation; nil means the backend's default.
public struct GenerationParameters: Sendable, Hashable {
    public var model: String?
    public var maxTokens: Int
    public var temperature: Double?
    public var topP: Double?
    public var stop: [String]
    public var seed: UInt64?

    public init(
        model: String? = nil,
        maxTokens: Int = 256,
        temperature: Double? = nil,
        topP: Double? = nil,
        stop: [String] = [],
        seed: UInt64? = nil
    ) {
        self.model = model
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stop = stop
        self.seed = seed
    }
}

/// What the core asks a backend for.
public struct GenerationRequest: Sendable, Hashable {
    /// The system prompt first, then the transcript, oldest first, ending with the newest message.
    public var messages: [ChatMessage]
    public var parameters: GenerationParameters
    /// A stable name for the conversation, so a backend can keep per-conversation state
    /// (the local engine's KV cache).
    public var conversation: String

    public init(messages: [ChatMessage], parameters: GenerationParameters, conversation: String) {
        self.messages = messages
        self.parameters = parameters
        self.conversation = conversation
    }
}

/// A piece of a streamed reply.
public struct GenerationChunk: Sendable, Hashable {
    /// Why a generation ended.
    public enum FinishReason: String, Sendable, Hashable {
        case stop, length, cancelled
    }

    public var text: String
    /// Set on the last chunk.
    public var finishReason: FinishReason?

    public init(text: String, finishReason: FinishReason? = nil) {
        self.text = text
        self.finishReason = finishReason
    }
}

/// The estimate Parley uses where a backend has no tokenizer: one token per three bytes of UTF-8
/// (English runs near four with BPE vocabularies; code, other scripts and short words run denser,
/// so three leaves a margin), plus four tokens of chat-template overhead per message.
public enum TokenEstimate {
    public static let overheadPerMessage = 4

    public static func tokens(in message: ChatMessage) -> Int {
        overheadPerMessage + (message.content.utf8.count + 2) / 3
    }
}
