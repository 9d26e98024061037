/// The shape of a llama-family model, from its GGUF metadata.
public struct ModelHyperparameters: Sendable, Hashable {
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

    public var kvDimension: Int { kvHeads * headDimension }

    /// The hyper-parameters a model file's metadata gives, validated.
    public init(file: GGUFFile) throws {
        guard let architecture = file["general.architecture"]?.string else {
            throw ModelError.missingMetadata("general.architecture")
        }
        guard architecture == "llama" || architecture == "qwen2" else {
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
        ropeStyle = architecture == "qwen2" ? .halves : .adjacent
        hasQKVBias = architecture == "qwen2"
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.dimensions.count == 2 else {
            throw ModelError.missingTensor("token_embd.weight")
        }
        vocabularySize = embedding.dimensions[1]
    }
}
