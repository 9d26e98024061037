import CParleyKernels
/// The weights of a model, as views into the mapped file (norm vectors copied,
/// being tiny), the matrices with a packed form also repacked for the fast kernels. Shapes are checked against the hyper-parameters when loading.
struct ModelWeights: Sendable {
    struct Layer: Sendable {
        var attentionNorm: [Float]  // [dimension]
        var query: WeightMatrix  // dimension → heads × headDimension
        var key: WeightMatrix  // dimension → kvDimension
        var value: WeightMatrix  // dimension → kvDimension
        var queryBias: [Float]?  // [heads × headDimension]   (qwen2)
        var keyBias: [Float]?  // [kvDimension]
        var valueBias: [Float]?  // [kvDimension]
        var attentionOutput: WeightMatrix  // heads × headDimension → dimension
        var queryNorm: [Float]?  // [headDimension]   (gemma3)
        var keyNorm: [Float]?  // [headDimension]
        var postAttentionNorm: [Float]?  // [dimension]
        var postFeedForwardNorm: [Float]?  // [dimension]
        var feedForwardNorm: [Float]  // [dimension]
        var gate: WeightMatrix  // dimension → feedForward
        var up: WeightMatrix  // dimension → feedForward
        var down: WeightMatrix  // feedForward → dimension
    }

    var tokenEmbedding: WeightMatrix  // vocabulary rows of dimension
    var layers: [Layer]
    var outputNorm: [Float]  // [dimension]
    var output: WeightMatrix  // dimension → vocabulary (the embedding when tied)

    init(file: GGUFFile, hyper: ModelHyperparameters) throws {
        let d = hyper.dimension
        let q = hyper.heads * hyper.headDimension
        let kv = hyper.kvDimension
        let arena = PackedArena()
        /// A matrix of products is packed for the fast kernels, and its file pages released
        /// (they would only be read again for the embedding lookup).
        func matrix(_ name: String, columns: Int, rows: Int, product: Bool = true) throws -> WeightMatrix {
            guard let info = file.tensor(named: name) else { throw ModelError.missingTensor(name) }
            guard info.dimensions == [columns, rows] else {
                throw ModelError.tensorShape(name: name, expected: [columns, rows], found: info.dimensions)
            }
            guard MatVec.supports(info.type) else {
                throw ModelError.unsupportedTensorType(name: name, type: info.type.description)
            }
            var matrix = WeightMatrix(info, in: file)
            if product, let packed = PackedMatrix(matrix, in: arena) {
                matrix.packed = packed
                file.releasePages(of: info)
            }
            return matrix
        }
        func vector(_ name: String, count: Int) throws -> [Float] {
            guard let info = file.tensor(named: name) else { throw ModelError.missingTensor(name) }
            guard info.elementCount == count, info.dimensions.count == 1 else {
                throw ModelError.tensorShape(name: name, expected: [count], found: info.dimensions)
            }
            guard [.f32, .f16, .bf16].contains(info.type) else {
                throw ModelError.unsupportedTensorType(name: name, type: info.type.description)
            }
            var values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { buffer in
                Dequantize.row(info.type, file.data(of: info).baseAddress!, count: count, into: buffer.baseAddress!)
            }
            return values
        }
        tokenEmbedding = try matrix("token_embd.weight", columns: d, rows: hyper.vocabularySize, product: false)
        layers = try (0..<hyper.layers).map { i in
            let p = "blk.\(i)."
            return Layer(
                attentionNorm: try vector(p + "attn_norm.weight", count: d),
                query: try matrix(p + "attn_q.weight", columns: d, rows: q),
                key: try matrix(p + "attn_k.weight", columns: d, rows: kv),
                value: try matrix(p + "attn_v.weight", columns: d, rows: kv),
                queryBias: hyper.hasQKVBias ? try vector(p + "attn_q.bias", count: q) : nil,
                keyBias: hyper.hasQKVBias ? try vector(p + "attn_k.bias", count: kv) : nil,
                valueBias: hyper.hasQKVBias ? try vector(p + "attn_v.bias", count: kv) : nil,
                attentionOutput: try matrix(p + "attn_output.weight", columns: q, rows: d),
                queryNorm: hyper.hasGemmaNorms ? try vector(p + "attn_q_norm.weight", count: hyper.headDimension) : nil,
                keyNorm: hyper.hasGemmaNorms ? try vector(p + "attn_k_norm.weight", count: hyper.headDimension) : nil,
                postAttentionNorm: hyper.hasGemmaNorms ? try vector(p + "post_attention_norm.weight", count: d) : nil,
                postFeedForwardNorm: hyper.hasGemmaNorms ? try vector(p + "post_ffw_norm.weight", count: d) : nil,
                feedForwardNorm: try vector(p + "ffn_norm.weight", count: d),
                gate: try matrix(p + "ffn_gate.weight", columns: d, rows: hyper.feedForward),
                up: try matrix(p + "ffn_up.weight", columns: d, rows: hyper.feedForward),
                down: try matrix(p + "ffn_down.weight", columns: hyper.feedForward, rows: d))
        }
        outputNorm = try vector("output_norm.weight", count: d)
        if file.tensor(named: "output.weight") == nil {
            output = tokenEmbedding
            output.packed = PackedMatrix(tokenEmbedding, in: arena)
        } else {
            output = try matrix("output.weight", columns: d, rows: hyper.vocabularySize)
        }
    }

    /// Bytes of the matrices one token multiplies (packed forms where there are): see
    /// `LanguageModel.weightBytesPerToken`.
    var bytesPerToken: Int {
        func bytes(_ m: WeightMatrix) -> Int {
            m.packed.map { Int(pk_packed_size(Int32($0.type.rawValue), m.rows, m.columns)) } ?? m.rows * m.rowBytes
        }
        let perLayer = layers.reduce(0) { sum, l in
            sum + [l.query, l.key, l.value, l.attentionOutput, l.gate, l.up, l.down].reduce(0) { $0 + bytes($1) }
        }
        return perLayer + bytes(output)
    }
}
