public import ParleyCore

/// A backend without a model: it answers by quoting the newest message back, streamed word by
/// word. It checks wiring, triggers, moderation and delivery end to end where no model is at
/// hand, and it is the embedded default's backend until the local engine lands.
public struct EchoBackend: GenerationBackend {
    public let name: BackendName
    public let contextWindow: Int

    public init(name: BackendName, contextWindow: Int = 4096) {
        self.name = name
        self.contextWindow = contextWindow
    }

    public func tokenCount(of message: ChatMessage) -> Int {
        TokenEstimate.tokens(in: message)
    }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error> {
        let newest = request.messages.last { $0.role == .user }?.content ?? ""
        // Transcript lines carry the speaker ("alice: hello"); quote what was said.
        let said = newest.split(separator: ":", maxSplits: 1).last.map { $0.drop(while: { $0 == " " }) } ?? ""
        let reply = "You said: \(said)"
        let words = reply.split(separator: " ", omittingEmptySubsequences: false)
        let limited = words.prefix(max(1, request.parameters.maxTokens))
        return AsyncThrowingStream { continuation in
            for (index, word) in limited.enumerated() {
                continuation.yield(GenerationChunk(text: index == 0 ? String(word) : " " + word))
            }
            let reason: GenerationChunk.FinishReason = limited.count < words.count ? .length : .stop
            continuation.yield(GenerationChunk(text: "", finishReason: reason))
            continuation.finish()
        }
    }
}
