/// A hosted backend behind a `PrivacyMask`: every message of a request is masked before it
/// leaves, and the placeholders the reply echoes are put back before anyone sees it. The local
/// engine needs none: nothing it reads leaves the machine.
public struct MaskedBackend: GenerationBackend {
    public let base: any GenerationBackend
    public let mask: PrivacyMask

    public init(_ base: any GenerationBackend, mask: PrivacyMask) {
        self.base = base
        self.mask = mask
    }

    public var name: BackendName { base.name }
    public var contextWindow: Int { base.contextWindow }
    public var countScale: Double { base.countScale }

    /// The unmasked text's count: a placeholder is rarely longer than what it replaces.
    public func tokenCount(of message: ChatMessage) -> Int { base.tokenCount(of: message) }

    public func probe() async throws { try await base.probe() }

    public func forgetConversations(withPrefix prefix: String) async {
        await base.forgetConversations(withPrefix: prefix)
    }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error> {
        var masking = PrivacyMask.Masking()
        let compiled = mask.compiled()
        var masked = request
        masked.messages = request.messages.map { ChatMessage(role: $0.role, content: compiled.mask($0.content, into: &masking)) }
        let upstream = base.stream(masked)
        let originals = masking.originals
        return AsyncThrowingStream { continuation in
            let task = Task {
                var restorer = PlaceholderRestorer(originals: originals)
                do {
                    for try await chunk in upstream {
                        var text = restorer.feed(chunk.text)
                        if chunk.finishReason != nil { text += restorer.finish() }
                        continuation.yield(GenerationChunk(text: text, finishReason: chunk.finishReason))
                    }
                    let rest = restorer.finish()
                    if !rest.isEmpty { continuation.yield(GenerationChunk(text: rest)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
