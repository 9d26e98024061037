import Foundation
import Synchronization

/// What to generate.
public struct InferenceRequest: Sendable {
    public enum Prompt: Sendable {
        /// A conversation, rendered with the model's chat template.
        case messages([ChatTemplate.Message])
        /// Text given as is (special tokens in it are parsed).
        case text(String)
        /// Token ids given as is.
        case tokens([Int])
    }

    public var prompt: Prompt
    /// Names the conversation whose KV cache to reuse; nil uses a fresh cache.
    public var conversation: String?
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Generation stops before any of these strings (which are not emitted).
    public var stop: [String]
    /// Keep going past end-of-generation tokens (for comparisons with other engines).
    public var ignoreEndOfGeneration: Bool

    public init(
        prompt: Prompt, conversation: String? = nil, maxTokens: Int = 256, sampling: SamplingParameters = .greedy,
        stop: [String] = [], ignoreEndOfGeneration: Bool = false
    ) {
        self.prompt = prompt
        self.conversation = conversation
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.ignoreEndOfGeneration = ignoreEndOfGeneration
    }
}

/// What a generation reports as it goes.
public enum InferenceEvent: Sendable, Equatable {
    /// Newly completed text (never a partial character).
    case text(String)
    case finished(InferenceStatistics)
}

/// Counts of one generation.
public struct InferenceStatistics: Sendable, Equatable {
    public enum Ending: String, Sendable {
        case endOfGeneration, stopString, length, cancelled
    }

    public var promptTokens: [Int]
    /// Prompt tokens actually run through the model; the rest came from the conversation's cache.
    public var prefilledTokens: Int
    public var generatedTokens: [Int]
    public var ending: Ending
    public var prefillSeconds: Double
    public var generationSeconds: Double
}

/// Runs generations on a model, one at a time on its own thread, and keeps a KV cache per
/// conversation (the least recently used let go beyond a limit), so that a follow-up message
/// only prefills its new tokens.
public final class InferenceEngine: Sendable {
    public let model: LanguageModel
    public let template: ChatTemplate
    private let thread = EngineThread(name: "parley.engine")
    private let caches: Mutex<ConversationCaches>

    public init(model: LanguageModel, cachedConversations: Int = 4) {
        self.model = model
        template = model.chatTemplate
        caches = Mutex(ConversationCaches(limit: max(1, cachedConversations)))
    }

    /// The prompt's token ids.
    public func tokens(for prompt: InferenceRequest.Prompt) -> [Int] {
        switch prompt {
        case .messages(let messages):
            model.tokenizer.encode(template.render(messages), addBOS: model.tokenizer.addsBOS)
        case .text(let text):
            model.tokenizer.encode(text, addBOS: model.tokenizer.addsBOS)
        case .tokens(let ids):
            ids
        }
    }

    /// Streams a generation. Ending the iteration cancels it between two tokens.
    public func generate(_ request: InferenceRequest) -> AsyncThrowingStream<InferenceEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: InferenceEvent.self)
        let flag = CancellationFlag()
        continuation.onTermination = { _ in flag.cancel() }
        thread.submit { [self] in
            do {
                let statistics = try run(request, cancelled: flag) { text in
                    continuation.yield(.text(text))
                }
                continuation.yield(.finished(statistics))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    /// The whole generation, on the engine thread.
    private func run(
        _ request: InferenceRequest, cancelled: CancellationFlag, emit: (String) -> Void
    ) throws -> InferenceStatistics {
        let prompt = tokens(for: request.prompt)
        guard !prompt.isEmpty else { throw ModelError.invalidMetadata(key: "prompt", problem: "is empty") }
        guard prompt.count + 1 <= model.contextLength else {
            throw ModelError.contextFull(needed: prompt.count + 1, available: model.contextLength)
        }
        let cache = caches.withLock { $0.cache(for: request.conversation, model: model) }
        // Reuse what the cache already holds of this prompt; at least the last token is run
        // again, for its logits.
        var common = 0
        for (cached, id) in zip(cache.tokens, prompt) where cached == id { common += 1 }
        common = min(common, prompt.count - 1)
        cache.truncate(to: common)

        let start = Date()
        var logits = try model.evaluate(Array(prompt[common...]), cache: cache)
        let prefillSeconds = Date().timeIntervalSince(start)

        var sampler = Sampler(request.sampling)
        var decoder = StreamingDecoder(tokenizer: model.tokenizer)
        var generated: [Int] = []
        var text = ""
        var emitted = 0
        var ending = InferenceStatistics.Ending.length
        let maxTokens = min(request.maxTokens, model.contextLength - prompt.count)
        let holdBack = request.stop.map(\.count).max() ?? 0
        let generationStart = Date()
        generation: while generated.count < maxTokens {
            if cancelled.isCancelled {
                ending = .cancelled
                break
            }
            let next = sampler.next(logits: logits, history: prompt + generated)
            if !request.ignoreEndOfGeneration && model.tokenizer.endOfGeneration.contains(next) {
                ending = .endOfGeneration
                break
            }
            generated.append(next)
            text += decoder.append(next)
            for stop in request.stop where !stop.isEmpty {
                if let range = text.range(of: stop) {
                    text = String(text[..<range.lowerBound])
                    ending = .stopString
                    break generation
                }
            }
            // Emit what can no longer turn out to start a stop string.
            let safe = text.count - holdBack
            if safe > emitted {
                let start = text.index(text.startIndex, offsetBy: emitted)
                let end = text.index(text.startIndex, offsetBy: safe)
                emit(String(text[start..<end]))
                emitted = safe
            }
            if generated.count < maxTokens {
                logits = try model.evaluate([next], cache: cache)
            }
        }
        if ending != .stopString { text += decoder.flush() }
        if text.count > emitted {
            emit(String(text[text.index(text.startIndex, offsetBy: emitted)...]))
        }
        return InferenceStatistics(
            promptTokens: prompt, prefilledTokens: prompt.count - common, generatedTokens: generated, ending: ending,
            prefillSeconds: prefillSeconds, generationSeconds: Date().timeIntervalSince(generationStart))
    }
}

/// Set when a stream's consumer goes away; read by the engine between tokens.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func cancel() { flag.store(true, ordering: .relaxed) }
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// KV caches by conversation, least recently used first out.
struct ConversationCaches {
    let limit: Int
    private var caches: [String: KVCache] = [:]
    private var order: [String] = []

    init(limit: Int) {
        self.limit = limit
    }

    mutating func cache(for conversation: String?, model: LanguageModel) -> KVCache {
        guard let conversation else { return model.makeCache() }
        if let cache = caches[conversation] {
            order.removeAll { $0 == conversation }
            order.append(conversation)
            return cache
        }
        let cache = model.makeCache()
        caches[conversation] = cache
        order.append(conversation)
        if order.count > limit {
            caches[order.removeFirst()] = nil
        }
        return cache
    }
}
