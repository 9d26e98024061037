import CParleyKernels
import Foundation

/// A llama-family transformer ready to run: hyper-parameters, weights mapped from the file,
/// the engine's threads, and the scratch buffers of one forward pass.
///
/// `@unchecked Sendable`: the scratch buffers are mutated by `forward`, which callers serialise
/// (the engine runs one forward pass at a time); everything else is immutable after `init`.
final class Transformer: @unchecked Sendable {
    let hyper: ModelHyperparameters
    let weights: ModelWeights
    let file: GGUFFile
    let pool: ThreadPool
    let contextLength: Int
    private let state: RunState

    init(file: GGUFFile, contextLength: Int, threads: Int) throws {
        self.file = file
        hyper = try ModelHyperparameters(file: file)
        weights = try ModelWeights(file: file, hyper: hyper)
        self.contextLength = contextLength
        pool = ThreadPool(threads: threads)
        state = RunState(hyper: hyper, contextLength: contextLength)
    }

    func makeCache() -> KVCache {
        KVCache(layers: hyper.layers, kvDimension: hyper.kvDimension, capacity: contextLength)
    }

    /// The scratch of one forward pass. Every buffer is sized once, for the largest use.
    final class RunState {
        let x: UnsafeMutablePointer<Float>  // [dimension] the residual stream
        let xb: UnsafeMutablePointer<Float>  // [max(dimension, q)] normed input / attention output
        let xb2: UnsafeMutablePointer<Float>  // [dimension] projection output
        let q: UnsafeMutablePointer<Float>  // [heads × headDimension]
        let qHalf: UnsafeMutablePointer<UInt16>  // [heads × headDimension] q in fp16, as the KV cache
        let k: UnsafeMutablePointer<Float>  // [kvDimension]
        let v: UnsafeMutablePointer<Float>  // [kvDimension]
        let hb: UnsafeMutablePointer<Float>  // [feedForward]
        let hb2: UnsafeMutablePointer<Float>  // [feedForward]
        let scores: UnsafeMutablePointer<Float>  // [heads × contextLength]
        let logits: UnsafeMutablePointer<Float>  // [vocabulary]
        let quantised: UnsafeMutablePointer<pk_act_q8>  // [max(dimension, q, feedForward) / 32]

        init(hyper: ModelHyperparameters, contextLength: Int) {
            let q = hyper.heads * hyper.headDimension
            x = .allocate(capacity: hyper.dimension)
            xb = .allocate(capacity: max(hyper.dimension, q))
            xb2 = .allocate(capacity: hyper.dimension)
            self.q = .allocate(capacity: q)
            qHalf = .allocate(capacity: q)
            k = .allocate(capacity: hyper.kvDimension)
            v = .allocate(capacity: hyper.kvDimension)
            hb = .allocate(capacity: hyper.feedForward)
            hb2 = .allocate(capacity: hyper.feedForward)
            scores = .allocate(capacity: hyper.heads * contextLength)
            logits = .allocate(capacity: hyper.vocabularySize)
            quantised = .allocate(capacity: (max(hyper.dimension, q, hyper.feedForward) + 31) / 32)
        }

        deinit {
            for buffer in [x, xb, xb2, q, k, v, hb, hb2, scores, logits] { buffer.deallocate() }
            quantised.deallocate()
            qHalf.deallocate()
        }
    }

    // MARK: - The forward pass

    /// Runs `token` at the next position of `cache`, stores its keys and values there, and
    /// returns the next-token logits when asked (a prompt's earlier tokens need none).
    func forward(token: Int, cache: KVCache, logits wanted: Bool) throws -> UnsafeBufferPointer<Float>? {
        let h = hyper
        let s = state
        let position = cache.count
        guard position < cache.capacity else { throw ModelError.contextFull(needed: position + 1, available: cache.capacity) }
        guard (0..<h.vocabularySize).contains(token) else { throw ModelError.invalidToken(token) }
        cache.reserve(position: position)
        let d = h.dimension
        let headSize = h.headDimension
        let kvDim = h.kvDimension
        let groupSize = h.heads / h.kvHeads

        // x = embedding of the token
        Dequantize.row(weights.tokenEmbedding.type, weights.tokenEmbedding.row(token), count: d, into: s.x)

        for (l, layer) in weights.layers.enumerated() {
            // ---- attention ----
            pk_rms_norm(s.xb, s.x, layer.attentionNorm, d, h.normEpsilon)
            prepare(s.xb, for: [layer.query, layer.key, layer.value])
            project(layer.query, s.xb, into: s.q, bias: layer.queryBias)
            project(layer.key, s.xb, into: s.k, bias: layer.keyBias)
            project(layer.value, s.xb, into: s.v, bias: layer.valueBias)
            let halves: Int32 = h.ropeStyle == .halves ? 1 : 0
            pk_rope(s.q, h.heads, headSize, h.ropeDimension, Int32(position), h.ropeBase, halves)
            pk_rope(s.k, h.kvHeads, headSize, h.ropeDimension, Int32(position), h.ropeBase, halves)
            let slot = cache.offset(position: position, layer: l)
            pk_fp32_to_fp16_row(s.k, cache.keys + slot, kvDim)
            pk_fp32_to_fp16_row(s.v, cache.values + slot, kvDim)
            pk_fp32_to_fp16_row(s.q, s.qHalf, h.heads * headSize)

            // Each head attends over positions 0...position; heads are split over the threads.
            let scale = 1 / Float(headSize).squareRoot()
            let positions = position + 1
            let stride = h.layers * kvDim
            pool.parallelFor(h.heads) { heads in
                for head in heads {
                    let kvOffset = l * kvDim + (head / groupSize) * headSize
                    pk_attend(
                        s.qHalf + head * headSize, cache.keys + kvOffset, cache.values + kvOffset, stride,
                        positions, headSize, scale, s.scores + head * cache.capacity, s.xb + head * headSize)
                }
            }
            prepare(s.xb, for: [layer.attentionOutput])
            project(layer.attentionOutput, s.xb, into: s.xb2)
            pk_add(s.x, s.xb2, d)

            // ---- feed-forward (SwiGLU) ----
            pk_rms_norm(s.xb, s.x, layer.feedForwardNorm, d, h.normEpsilon)
            prepare(s.xb, for: [layer.gate, layer.up])
            project(layer.gate, s.xb, into: s.hb)
            project(layer.up, s.xb, into: s.hb2)
            pk_swiglu(s.hb, s.hb2, h.feedForward)
            prepare(s.hb, for: [layer.down])
            project(layer.down, s.hb, into: s.xb2)
            pk_add(s.x, s.xb2, d)
        }
        cache.appendToken(token)
        guard wanted else { return nil }

        pk_rms_norm(s.x, s.x, weights.outputNorm, d, h.normEpsilon)
        prepare(s.x, for: [weights.output])
        project(weights.output, s.x, into: s.logits)
        return UnsafeBufferPointer(start: s.logits, count: h.vocabularySize)
    }

    /// Quantises `x` into the shared activation buffer when any of `matrices` needs it; the
    /// projections of `x` that follow use it.
    private func prepare(_ x: UnsafeMutablePointer<Float>, for matrices: [WeightMatrix]) {
        guard let first = matrices.first(where: { MatVec.isQuantised($0.type) }) else { return }
        MatVec.quantise(x, count: first.columns, into: state.quantised)
    }

    /// y = W x (+ bias), with x prepared.
    private func project(
        _ w: WeightMatrix, _ x: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>, bias: [Float]? = nil
    ) {
        MatVec.multiply(w, x: x, quantised: state.quantised, into: y, pool: pool)
        if let bias {
            for i in 0..<w.rows { y[i] += bias[i] }
        }
    }
}

