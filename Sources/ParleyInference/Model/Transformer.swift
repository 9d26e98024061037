import CParleyKernels
import Foundation

/// A decoder-only transformer (llama, qwen2, gemma3) ready to run: hyper-parameters, weights mapped from the file,
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

    /// Tokens run through the layers together: each weight row is read once for all of them.
    /// A pass over a model larger than the cache streams its weights from memory, so the more
    /// tokens share it the better, until their quantised activations no longer stay in L2 beside
    /// the weights (128 rows of an 8,960-wide feed-forward are 1.2 MB). From 32 to 128 the
    /// 1.5B's Q4_K products at 2 threads went from 235 to 296 GMAC/s.
    static let maxBatch = 128

    init(file: GGUFFile, contextLength: Int, threads: Int) throws {
        self.file = file
        hyper = try ModelHyperparameters(file: file)
        weights = try ModelWeights(file: file, hyper: hyper)
        self.contextLength = contextLength
        let pool = ThreadPool(threads: threads)
        self.pool = pool
        state = RunState(hyper: hyper, contextLength: contextLength, batch: Self.maxBatch, threads: pool.threadCount)
    }

    func makeCache() -> KVCache {
        KVCache(layers: hyper.layers, kvDimension: hyper.kvDimension, capacity: contextLength)
    }

    /// The scratch of one forward pass: per-token buffers for a whole batch, token b's at
    /// `buffer + b * width`. Every buffer is sized once, for the largest use.
    final class RunState {
        let x: UnsafeMutablePointer<Float>  // [batch][dimension] the residual stream
        let xb: UnsafeMutablePointer<Float>  // [batch][max(dimension, q)] normed input / attention output
        let xb2: UnsafeMutablePointer<Float>  // [batch][dimension] projection output
        let q: UnsafeMutablePointer<Float>  // [batch][heads × headDimension]
        let qHalf: UnsafeMutablePointer<UInt16>  // [batch][heads × headDimension] q in fp16, as the KV cache
        let k: UnsafeMutablePointer<Float>  // [batch][kvDimension]
        let v: UnsafeMutablePointer<Float>  // [batch][kvDimension]
        let hb: UnsafeMutablePointer<Float>  // [batch][feedForward]
        let hb2: UnsafeMutablePointer<Float>  // [batch][feedForward]
        let scores: UnsafeMutablePointer<Float>  // [threads][query heads per key-value head][contextLength] attention weights
        let logits: UnsafeMutablePointer<Float>  // [maxLogitRows][vocabulary]
        let quantised: UnsafeMutablePointer<pk_act_q8>  // [batch][quantisedStride]
        /// Activation blocks per token in `quantised`.
        let quantisedStride: Int
        let superBlocks: UnsafeMutablePointer<pk_act_q8_K>  // [batch][superStride] for the K-quants
        let superStride: Int
        let wide: Int  // max(dimension, q)

        init(hyper: ModelHyperparameters, contextLength: Int, batch: Int, threads: Int) {
            let q = hyper.heads * hyper.headDimension
            wide = max(hyper.dimension, q)
            x = .allocate(capacity: batch * hyper.dimension)
            xb = .allocate(capacity: batch * wide)
            xb2 = .allocate(capacity: batch * hyper.dimension)
            self.q = .allocate(capacity: batch * q)
            qHalf = .allocate(capacity: batch * q)
            k = .allocate(capacity: batch * hyper.kvDimension)
            v = .allocate(capacity: batch * hyper.kvDimension)
            hb = .allocate(capacity: batch * hyper.feedForward)
            hb2 = .allocate(capacity: batch * hyper.feedForward)
            scores = .allocate(capacity: threads * hyper.heads / hyper.kvHeads * contextLength)
            logits = .allocate(capacity: Transformer.maxLogitRows * hyper.vocabularySize)
            quantisedStride = (max(wide, hyper.feedForward) + 31) / 32
            quantised = .allocate(capacity: batch * quantisedStride)
            superStride = (max(wide, hyper.feedForward) + 255) / 256
            superBlocks = .allocate(capacity: batch * superStride)
        }

        deinit {
            for buffer in [x, xb, xb2, q, k, v, hb, hb2, scores, logits] { buffer.deallocate() }
            quantised.deallocate()
            superBlocks.deallocate()
            qHalf.deallocate()
        }
    }

    // MARK: - The forward pass

    /// One token of one conversation in a forward pass: it runs at the next position of `cache`
    /// (after the rows of the same cache before it in the pass).
    struct Row {
        let token: Int
        let cache: KVCache
    }

    /// Runs `tokens` at the next positions of `cache`, at most `maxBatch` at a time, stores their
    /// keys and values there, and returns the next-token logits after the last one when asked
    /// (a prompt's earlier tokens need none).
    func forward(tokens: [Int], cache: KVCache, logits wanted: Bool) throws -> UnsafeBufferPointer<Float>? {
        guard cache.count + tokens.count <= min(cache.capacity, contextLength) else {
            throw ModelError.contextFull(needed: cache.count + tokens.count, available: min(cache.capacity, contextLength))
        }
        for token in tokens where !(0..<hyper.vocabularySize).contains(token) { throw ModelError.invalidToken(token) }
        var start = 0
        while start < tokens.count {
            let batch = tokens[start..<min(tokens.count, start + Self.maxBatch)].map { Row(token: $0, cache: cache) }
            start += batch.count
            forwardBatch(batch)
        }
        guard wanted, !tokens.isEmpty else { return nil }
        return logits(ofRows: [(tokens.count - 1) % Self.maxBatch])
    }

    /// Runs at most `maxBatch` rows of any conversations in one pass — each weight row read once
    /// for all of them — and returns the logits after each row listed in `logitsAfter` (indices
    /// into `rows`), in that order, `vocabularySize` apart. A row's logits are the same bits as
    /// when its conversation runs alone.
    func forward(rows: [Row], logitsAfter: [Int]) throws -> UnsafeBufferPointer<Float> {
        precondition(rows.count <= Self.maxBatch && logitsAfter.count <= Self.maxLogitRows)
        var needed: [ObjectIdentifier: (cache: KVCache, count: Int)] = [:]
        for row in rows {
            guard (0..<hyper.vocabularySize).contains(row.token) else { throw ModelError.invalidToken(row.token) }
            needed[ObjectIdentifier(row.cache), default: (row.cache, row.cache.count)].count += 1
        }
        for (cache, count) in needed.values where count > min(cache.capacity, contextLength) {
            throw ModelError.contextFull(needed: count, available: min(cache.capacity, contextLength))
        }
        forwardBatch(rows)
        return logits(ofRows: logitsAfter)
    }

    /// Rows whose logits one pass may return.
    static let maxLogitRows = 8

    /// One batch through every layer; leaves the final residual of row b in `x + b * dimension`.
    private func forwardBatch(_ rows: [Row]) {
        let h = hyper
        let s = state
        let n = rows.count
        // Each row's position: its cache's next, after the rows of the same cache before it.
        var next: [ObjectIdentifier: Int] = [:]
        let positions = rows.map { row in
            let key = ObjectIdentifier(row.cache)
            let position = next[key] ?? row.cache.count
            next[key] = position + 1
            return position
        }
        for (b, row) in rows.enumerated() { row.cache.reserve(position: positions[b]) }
        let d = h.dimension
        let qDim = h.heads * h.headDimension
        let headSize = h.headDimension
        let kvDim = h.kvDimension
        let groupSize = h.heads / h.kvHeads
        let halves: Int32 = h.ropeStyle == .halves ? 1 : 0

        // x = embedding of each token
        for (b, row) in rows.enumerated() {
            Dequantize.row(weights.tokenEmbedding.type, weights.tokenEmbedding.row(row.token), count: d, into: s.x + b * d)
        }
        if h.embeddingScale != 1 { pk_scale(s.x, h.embeddingScale, n * d) }

        for (l, layer) in weights.layers.enumerated() {
            // ---- attention ----
            perToken(n) { b in pk_rms_norm(s.xb + b * s.wide, s.x + b * d, layer.attentionNorm, d, h.normEpsilon) }
            prepare(s.xb, stride: s.wide, count: n, for: [layer.query, layer.key, layer.value])
            project(
                [(layer.query, s.q, qDim, layer.queryBias), (layer.key, s.k, kvDim, layer.keyBias),
                 (layer.value, s.v, kvDim, layer.valueBias)],
                s.xb, stride: s.wide, count: n)
            let ropeBase = h.ropeBase(layer: l)
            perToken(n) { b in
                let position = positions[b]
                let cache = rows[b].cache
                if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
                    for head in 0..<h.heads {
                        let q = s.q + b * qDim + head * headSize
                        pk_rms_norm(q, q, queryNorm, headSize, h.normEpsilon)
                    }
                    for head in 0..<h.kvHeads {
                        let k = s.k + b * kvDim + head * headSize
                        pk_rms_norm(k, k, keyNorm, headSize, h.normEpsilon)
                    }
                }
                pk_rope(s.q + b * qDim, h.heads, headSize, h.ropeDimension, Int32(position), ropeBase, halves)
                pk_rope(s.k + b * kvDim, h.kvHeads, headSize, h.ropeDimension, Int32(position), ropeBase, halves)
                if let queryScale = h.queryScale { pk_scale(s.q + b * qDim, queryScale, qDim) }
                let slot = cache.offset(position: position, layer: l)
                pk_fp32_to_fp16_row(s.k + b * kvDim, cache.keys + slot, kvDim)
                pk_fp32_to_fp16_row(s.v + b * kvDim, cache.values + slot, kvDim)
                pk_fp32_to_fp16_row(s.q + b * qDim, s.qHalf + b * qDim, qDim)
            }

            // Token b attends over positions 0...first+b (the last `window` of them in a local
            // layer). The units split over the threads, each with its own scratch for the
            // attention weights, are heads of a token that share a key-value head, converting the
            // cache's fp16 once for all of them: as many as a group holds while every thread still
            // gets a unit (one token of Gemma's single key-value head: two heads a unit, not four).
            let scale = h.queryScale == nil ? 1 / Float(headSize).squareRoot() : 1
            let window = h.isSliding(layer: l) ? h.slidingWindow : nil
            let threads = pool.threadCount
            let headsPerUnit = stride(from: groupSize, to: 0, by: -1).first {
                groupSize % $0 == 0 && n * h.kvHeads * (groupSize / $0) >= threads
            } ?? 1
            let unitsPerToken = h.heads / headsPerUnit
            let units = n * unitsPerToken
            pool.run { thread in
                let scores = s.scores + thread * contextLength * groupSize
                for unit in units * thread / threads..<units * (thread + 1) / threads {
                    let (b, index) = unit.quotientAndRemainder(dividingBy: unitsPerToken)
                    let head = index * headsPerUnit
                    let cache = rows[b].cache
                    let seen = positions[b] + 1
                    let start = window.map { max(0, seen - $0) } ?? 0
                    let kvOffset = cache.offset(position: start, layer: l) + (head / groupSize) * headSize
                    pk_attend_heads(
                        s.qHalf + b * qDim + head * headSize, headsPerUnit, cache.keys + kvOffset, cache.values + kvOffset,
                        kvDim, seen - start, headSize, scale, scores, s.xb + b * s.wide + head * headSize)
                }
            }
            prepare(s.xb, stride: s.wide, count: n, for: [layer.attentionOutput])
            project([(layer.attentionOutput, s.xb2, d, nil)], s.xb, stride: s.wide, count: n)
            if let norm = layer.postAttentionNorm {
                perToken(n) { b in pk_rms_norm(s.xb2 + b * d, s.xb2 + b * d, norm, d, h.normEpsilon) }
            }
            pk_add(s.x, s.xb2, n * d)

            // ---- feed-forward (SwiGLU or GeGLU) ----
            let f = h.feedForward
            perToken(n) { b in pk_rms_norm(s.xb + b * s.wide, s.x + b * d, layer.feedForwardNorm, d, h.normEpsilon) }
            prepare(s.xb, stride: s.wide, count: n, for: [layer.gate, layer.up])
            project([(layer.gate, s.hb, f, nil), (layer.up, s.hb2, f, nil)], s.xb, stride: s.wide, count: n)
            perToken(n) { b in
                switch h.activation {
                case .silu: pk_swiglu(s.hb + b * f, s.hb2 + b * f, f)
                case .gelu: pk_geglu(s.hb + b * f, s.hb2 + b * f, f)
                }
            }
            prepare(s.hb, stride: f, count: n, for: [layer.down])
            project([(layer.down, s.xb2, d, nil)], s.hb, stride: f, count: n)
            if let norm = layer.postFeedForwardNorm {
                perToken(n) { b in pk_rms_norm(s.xb2 + b * d, s.xb2 + b * d, norm, d, h.normEpsilon) }
            }
            pk_add(s.x, s.xb2, n * d)
        }
        for row in rows { row.cache.appendToken(row.token) }
    }

    /// The logits after each of `rows` of the last batch, `vocabularySize` apart, computed together
    /// (one pass over the output matrix).
    private func logits(ofRows rows: [Int]) -> UnsafeBufferPointer<Float> {
        let s = state
        let d = hyper.dimension
        let vocabulary = hyper.vocabularySize
        // Normed into xb2's rows (free now), so that they do not overwrite a residual still to read.
        for (i, b) in rows.enumerated() { pk_rms_norm(s.xb2 + i * d, s.x + b * d, weights.outputNorm, d, hyper.normEpsilon) }
        prepare(s.xb2, stride: d, count: rows.count, for: [weights.output])
        project([(weights.output, s.logits, vocabulary, nil)], s.xb2, stride: d, count: rows.count)
        if let cap = hyper.finalLogitSoftcap, cap > 0 {
            for i in 0..<rows.count * vocabulary { s.logits[i] = cap * tanh(s.logits[i] / cap) }
        }
        return UnsafeBufferPointer(start: s.logits, count: rows.count * vocabulary)
    }

    /// Runs `body` for each of `count` tokens, split over the threads when there are several
    /// (one token's step is too small to be worth a hand-off).
    private func perToken(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        pool.parallelFor(count) { range in
            for b in range { body(b) }
        }
    }

    /// Quantises `count` rows of `x` (`stride` apart) into the shared activation buffers, per 32
    /// and per 256 as `matrices` need them; the projections of `x` that follow use them.
    private func prepare(_ x: UnsafeMutablePointer<Float>, stride: Int, count: Int, for matrices: [WeightMatrix]) {
        let quantised = matrices.filter { MatVec.isQuantised($0.type) }
        let perThirtyTwo = quantised.first { !MatVec.takesSuperBlocks($0.type) }
        let perSuperBlock = quantised.first { MatVec.takesSuperBlocks($0.type) }
        guard perThirtyTwo != nil || perSuperBlock != nil else { return }
        let s = state
        perToken(count) { b in
            if let first = perThirtyTwo {
                MatVec.quantise(x + b * stride, count: first.columns, into: s.quantised + b * s.quantisedStride)
            }
            if let first = perSuperBlock {
                MatVec.quantise(x + b * stride, count: first.columns, into: s.superBlocks + b * s.superStride)
            }
        }
    }

    /// y_b = W x_b (+ bias) for `count` rows of x (prepared) and every (W, y, y's stride, bias),
    /// in one pass over the threads.
    private func project(
        _ products: [(WeightMatrix, UnsafeMutablePointer<Float>, Int, [Float]?)],
        _ x: UnsafeMutablePointer<Float>, stride: Int, count: Int
    ) {
        MatVec.multiply(
            products.map { MatVec.Product(matrix: $0.0, y: $0.1, yStride: $0.2) },
            MatVec.Input(
                x: x, xStride: stride, quantised: state.quantised, quantisedStride: state.quantisedStride,
                superBlocks: state.superBlocks, superStride: state.superStride, count: count),
            pool: pool)
        for (w, y, outStride, bias) in products {
            guard let bias else { continue }
            for b in 0..<count {
                for i in 0..<w.rows { y[b * outStride + i] += bias[i] }
            }
        }
    }

    /// See `LanguageModel.readBandwidth`.
    func readBandwidth(bytes: Int) -> Double {
        let size = bytes / 128 * 128
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 1, count: size)
        let parts = pool.threadCount
        var best = 0.0
        for _ in 0..<5 {
            let start = ContinuousClock.now
            pool.run { part in
                // A C function the optimiser cannot see into: the reads happen.
                let begin = size / 128 * part / parts * 128, end = size / 128 * (part + 1) / parts * 128
                _ = pk_read_bytes(buffer + begin, end - begin)
            }
            best = max(best, Double(size) / ((ContinuousClock.now - start) / .seconds(1)))
        }
        return best
    }
}
