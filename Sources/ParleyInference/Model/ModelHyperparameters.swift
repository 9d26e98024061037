/// The shape of a model, from its GGUF metadata: `llama`, `qwen2` (Q/K/V bias, NeoX RoPE) and
/// `gemma3` (scaled embeddings, Q/K norms, norms after attention and feed-forward, GELU, local
/// sliding-window layers with their own RoPE base beside global ones).
public struct ModelHyperparameters: Sendable, Hashable {
    /// The feed-forward's gate activation.
    public enum Activation: String, Sendable, Hashable {
        case silu
        /// GELU (tanh form) through fp16, as ggml's CPU table computes it.
        case gelu
    }

    /// How rotary embeddings pair dimensions.
    public enum RopeStyle: String, Sendable, Hashable {
        /// Adjacent pairs (x[2i], x[2i+1]): `llama` GGUFs, whose Q/K weights the converter permuted.
        case adjacent
        /// Halves (x[i], x[i + d/2]): GPT-NeoX style, used by `qwen2`.
        case halves
    }

    public var architecture: String
    public var layers: Int
    /// The model width (embedding length).
    public var dimension: Int
    public var feedForward: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDimension: Int
    public var ropeDimension: Int
    public var ropeBase: Float
    public var ropeStyle: RopeStyle
    public var normEpsilon: Float
    public var trainedContext: Int
    public var vocabularySize: Int
    /// Whether Q, K and V projections carry a bias (`qwen2`).
    public var hasQKVBias: Bool
    /// Embeddings are multiplied by this (`gemma3`: √dimension).
    public var embeddingScale: Float = 1
    /// Whether each head's queries and keys are RMS-normed before RoPE, and attention and
    /// feed-forward outputs RMS-normed before the residual (`gemma3`).
    public var hasGemmaNorms = false
    public var activation = Activation.silu
    /// Queries are multiplied by this before attention (then no softmax scale); nil: the softmax
    /// is scaled by 1/√headDimension.
    public var queryScale: Float?
    /// Positions a local (sliding-window) layer sees, itself included; nil when no layer is local.
    public var slidingWindow: Int?
    /// Which layers are local.
    public var slidingLayers: [Bool] = []
    /// RoPE base of local layers.
    public var slidingRopeBase: Float = 10_000
    /// Logits are soft-capped: c · tanh(logit / c).
    public var finalLogitSoftcap: Float?

    static let architectures = ["llama", "qwen2", "gemma3"]

    public func isSliding(layer: Int) -> Bool { slidingWindow != nil && slidingLayers[layer] }
    public func ropeBase(layer: Int) -> Float { isSliding(layer: layer) ? slidingRopeBase : ropeBase }

    public var kvDimension: Int { kvHeads * headDimension }

    /// The hyper-parameters a model file's metadata gives, validated.
    public init(file: GGUFFile) throws {
        guard let architecture = file["general.architecture"]?.string else {
            throw ModelError.missingMetadata("general.architecture")
        }
        guard Self.architectures.contains(architecture) else {
            throw ModelError.unsupportedArchitecture(architecture)
        }
        self.architecture = architecture
        func integer(_ key: String, default value: Int? = nil, range: ClosedRange<Int> = 1...1 << 24) throws -> Int {
            let full = "\(architecture).\(key)"
            guard let raw = file[full] else {
                if let value { return value }
                throw ModelError.missingMetadata(full)
            }
            guard let number = raw.integer, range.contains(number) else {
                throw ModelError.invalidMetadata(key: full, problem: "\(raw.summary) is not an integer in \(range)")
            }
            return number
        }
        func float(_ key: String, default value: Float) throws -> Float {
            let full = "\(architecture).\(key)"
            guard let raw = file[full] else { return value }
            guard let number = raw.number, number.isFinite, number > 0 else {
                throw ModelError.invalidMetadata(key: full, problem: "\(raw.summary) is not a positive number")
            }
            return Float(number)
        }
        layers = try integer("block_count", range: 1...1024)
        dimension = try integer("embedding_length")
        feedForward = try integer("feed_forward_length")
        heads = try integer("attention.head_count", range: 1...1024)
        kvHeads = try integer("attention.head_count_kv", default: heads, range: 1...1024)
        guard dimension % heads == 0, heads % kvHeads == 0 else {
            throw ModelError.invalidMetadata(
                key: "\(architecture).attention.head_count",
                problem: "\(heads) heads and \(kvHeads) KV heads do not divide width \(dimension)")
        }
        headDimension = try integer("attention.key_length", default: dimension / heads, range: 2...4096)
        ropeDimension = try integer("rope.dimension_count", default: headDimension, range: 2...4096)
        guard ropeDimension <= headDimension, ropeDimension % 2 == 0, headDimension % 2 == 0 else {
            throw ModelError.invalidMetadata(key: "\(architecture).rope.dimension_count", problem: "\(ropeDimension) does not fit head size \(headDimension)")
        }
        ropeBase = try float("rope.freq_base", default: 10_000)
        normEpsilon = try float("attention.layer_norm_rms_epsilon", default: 1e-5)
        trainedContext = try integer("context_length", default: 2048)
        ropeStyle = architecture == "llama" ? .adjacent : .halves
        hasQKVBias = architecture == "qwen2"
        for key in ["rope.scaling.type", "rope.scaling.factor"] {
            // Scaled RoPE is not implemented; a file that asks for it is refused, not run wrong.
            guard let value = file["\(architecture).\(key)"] else { continue }
            if key == "rope.scaling.type", value.string == "none" { continue }
            if key == "rope.scaling.factor", value.number == 1 { continue }
            throw ModelError.invalidMetadata(key: "\(architecture).\(key)", problem: "\(value.summary): scaled RoPE is not supported")
        }
        if architecture == "gemma3" {
            embeddingScale = Float(dimension).squareRoot()
            hasGemmaNorms = true
            activation = .gelu
            queryScale = 1 / Float(headDimension).squareRoot()
            slidingRopeBase = try float("rope.freq_base_swa", default: 10_000)
            finalLogitSoftcap = file["\(architecture).final_logit_softcapping"] == nil ? nil : try float("final_logit_softcapping", default: 0)
            let window = try integer("attention.sliding_window", default: 0, range: 0...1 << 24)
            if window > 0 {
                slidingWindow = window
                // Every sixth layer is global unless the file lists the pattern (a count, or a flag per layer).
                let patternKey = "\(architecture).attention.sliding_window_pattern"
                if let flags = file[patternKey]?.array?.bools {
                    guard flags.count == layers else {
                        throw ModelError.invalidMetadata(key: patternKey, problem: "\(flags.count) flags for \(layers) layers")
                    }
                    slidingLayers = flags
                } else {
                    let period = try integer("attention.sliding_window_pattern", default: 6, range: 1...1024)
                    slidingLayers = (0..<layers).map { $0 % period < period - 1 }
                }
            }
        }
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.dimensions.count == 2 else {
            throw ModelError.missingTensor("token_embd.weight")
        }
        vocabularySize = embedding.dimensions[1]
    }
}
