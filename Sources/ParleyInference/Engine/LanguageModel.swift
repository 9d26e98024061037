import Foundation
import Synchronization

/// A GGUF language model loaded for inference: its tokenizer, its chat template, and the
/// transformer. Forward passes are serialised: one runs at a time, on the calling thread and the
/// model's own worker threads. Call it from a thread of your own (as `LocalBackend` does), never
/// from the Swift cooperative pool.
public final class LanguageModel: Sendable {
    public let path: String
    public let tokenizer: Tokenizer
    public let hyperparameters: ModelHyperparameters
    /// Positions one conversation may hold.
    public let contextLength: Int
    public let threads: Int
    /// How the model expects a conversation to be written.
    public let chatTemplate: ChatTemplate
    /// The raw `tokenizer.chat_template`, if the file has one.
    public let chatTemplateSource: String?
    let transformer: Mutex<Transformer>

    /// Loads and validates the model at `path`.
    ///
    /// - Parameters:
    ///   - contextLength: positions per conversation; by default the model's trained context,
    ///     at most 4096.
    ///   - threads: worker threads including the caller; by default the number of cores.
    public init(path: String, contextLength: Int? = nil, threads: Int? = nil) throws {
        let file = try GGUFFile(path: path)
        self.path = path
        tokenizer = try Tokenizer(file: file)
        chatTemplateSource = file["tokenizer.chat_template"]?.string
        chatTemplate = ChatTemplate(jinja: chatTemplateSource)
        let hyper = try ModelHyperparameters(file: file)
        hyperparameters = hyper
        self.contextLength = max(16, contextLength ?? min(hyper.trainedContext, 4096))
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        transformer = Mutex(try Transformer(file: file, contextLength: self.contextLength, threads: self.threads))
        guard tokenizer.vocabularySize == hyper.vocabularySize else {
            throw ModelError.invalidMetadata(
                key: "tokenizer.ggml.tokens",
                problem: "\(tokenizer.vocabularySize) tokens, but the embedding has \(hyper.vocabularySize) rows")
        }
    }

    /// An empty cache for one conversation.
    public func makeCache() -> KVCache {
        transformer.withLock { $0.makeCache() }
    }

    /// Feeds `ids` after what `cache` holds and returns the logits after the last of them.
    /// Blocks the calling thread while it computes.
    public func evaluate(_ ids: [Int], cache: KVCache) throws -> [Float] {
        precondition(!ids.isEmpty, "evaluate needs at least one token")
        return try transformer.withLock { transformer in
            Array(try transformer.forward(tokens: ids, cache: cache, logits: true)!)
        }
    }

    /// Runs rows of several conversations in one pass (see `Transformer.forward(rows:logitsAfter:)`)
    /// and returns the logits after the rows listed in `logitsAfter`.
    func forward(_ rows: [Transformer.Row], logitsAfter: [Int]) throws -> [[Float]] {
        try transformer.withLock { transformer in
            let logits = try transformer.forward(rows: rows, logitsAfter: logitsAfter)
            let vocabulary = hyperparameters.vocabularySize
            return logitsAfter.indices.map { Array(logits[$0 * vocabulary..<($0 + 1) * vocabulary]) }
        }
    }

    /// Like `evaluate`, but returns the logits after every one of `ids` (teacher forcing).
    public func evaluateAll(_ ids: [Int], cache: KVCache) throws -> [[Float]] {
        try transformer.withLock { transformer in
            try ids.map { id in Array(try transformer.forward(tokens: [id], cache: cache, logits: true)!) }
        }
    }

    /// Bytes of weights one generated token reads: every matrix of every layer and the output
    /// (the embedding table only for the one row it looks up, left out).
    public var weightBytesPerToken: Int {
        transformer.withLock { $0.weights.bytesPerToken }
    }

    /// Memory read bandwidth in bytes per second with the model's threads, the best of a few
    /// passes over `megabytes` of fresh memory (larger than the caches): the ceiling generation
    /// can reach is this divided by `weightBytesPerToken`.
    public func readBandwidth(megabytes: Int = 1024) -> Double {
        transformer.withLock { $0.readBandwidth(bytes: megabytes << 20) }
    }
}
