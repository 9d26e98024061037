import CParleyKernels

/// Matrix products of weight matrices of any supported type with one or more activation rows,
/// split over the engine's threads by weight rows.
enum MatVec {
    /// Types with an integer kernel in `CParleyKernels` (Q4_0, Q4_1, Q5_0, Q8_0, Q4_K, Q5_K,
    /// Q6_K); activations are quantised for them.
    static func isQuantised(_ type: GGMLType) -> Bool {
        pk_has_kernel(Int32(type.rawValue)) == 1
    }

    static func supports(_ type: GGMLType) -> Bool {
        isQuantised(type) || [.f32, .f16, .bf16].contains(type)
    }

    /// One product of a batch of activations with `matrix`: y_b goes to `y + b * yStride`.
    struct Product {
        let matrix: WeightMatrix
        let y: UnsafeMutablePointer<Float>
        let yStride: Int
    }

    /// The activation rows every product of one call multiplies: x_b at `x + b * xStride`, and
    /// their quantised forms, which must be there for the matrices that take them: per 32 at
    /// `quantised + b * quantisedStride` (Q4_0, Q4_1, Q5_0, Q8_0), per 256 at
    /// `superBlocks + b * superStride` (the K-quants).
    struct Input {
        let x: UnsafePointer<Float>
        let xStride: Int
        var quantised: UnsafePointer<pk_act_q8>? = nil
        var quantisedStride = 0
        var superBlocks: UnsafePointer<pk_act_q8_K>? = nil
        var superStride = 0
        let count: Int

        /// The quantised rows `type` multiplies and their stride in blocks.
        func activations(for type: GGMLType) -> (UnsafeRawPointer?, Int) {
            MatVec.takesSuperBlocks(type) ? (superBlocks.map(UnsafeRawPointer.init), superStride)
                : (quantised.map(UnsafeRawPointer.init), quantisedStride)
        }
    }

    /// Whether `type` multiplies activations quantised per 256 (`pk_act_q8_K`).
    static func takesSuperBlocks(_ type: GGMLType) -> Bool {
        pk_act_kind(Int32(type.rawValue)) == 1
    }

    /// Every product in one pass over the threads (Q, K and V, or gate and up, share an input):
    /// each matrix cut into chunks of rows (of 8-row groups when packed) that the threads take as
    /// they become free, so there is one hand-off, not one per matrix, and no thread waits for a
    /// slower one's fixed share.
    static func multiply(_ products: [Product], _ input: Input, pool: ThreadPool) {
        // Each product's chunks: several per thread (balance), none smaller than a unit.
        var plan: [(product: Product, units: Int, parts: Int, first: Int)] = []
        var total = 0
        for product in products {
            let units = units(of: product.matrix), parts = min(units, pool.threadCount * 4)
            plan.append((product, units, parts, total))
            total += parts
        }
        pool.forEachChunk(total) { chunk in
            let p = plan.last { $0.first <= chunk }!
            let part = chunk - p.first
            compute(p.product, input, from: p.units * part / p.parts, to: p.units * (part + 1) / p.parts)
        }
    }

    /// y_b = W x_b for `count` rows b (see `Input`).
    static func multiply(
        _ w: WeightMatrix, _ input: Input, into y: UnsafeMutablePointer<Float>, yStride: Int = 0, pool: ThreadPool
    ) {
        multiply([Product(matrix: w, y: y, yStride: yStride)], input, pool: pool)
    }

    /// What a product is cut in: 8-row groups when packed, rows otherwise.
    private static func units(of w: WeightMatrix) -> Int {
        w.packed?.groups ?? w.rows
    }

    /// Units [begin, end) of one product (groups when packed, rows otherwise).
    private static func compute(_ p: Product, _ input: Input, from begin: Int, to end: Int) {
        let w = p.matrix
        guard begin < end else { return }
        let (activations, activationStride) = input.activations(for: w.type)
        if let packed = w.packed {
            pk_packed_matmul(
                Int32(packed.type.rawValue), packed.data, packed.columns, activations, activationStride,
                input.count, p.y, p.yStride, begin, end)
            return
        }
        if isQuantised(w.type) {
            pk_matmul(
                Int32(w.type.rawValue), w.data, w.rowBytes, w.columns, activations, activationStride,
                input.count, p.y, p.yStride, begin, end)
        } else {
            // Float types: each row converted once, then float dot products with every activation row.
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: w.columns)
            defer { scratch.deallocate() }
            for r in begin..<end {
                Dequantize.row(w.type, w.row(r), count: w.columns, into: scratch)
                for b in 0..<input.count {
                    p.y[b * p.yStride + r] = pk_dot_f32(scratch, input.x + b * input.xStride, w.columns)
                }
            }
        }
    }

    static func quantise(_ x: UnsafePointer<Float>, count: Int, into blocks: UnsafeMutablePointer<pk_act_q8>) {
        pk_quantize_act_q8(x, blocks, count)
    }

    static func quantise(_ x: UnsafePointer<Float>, count: Int, into blocks: UnsafeMutablePointer<pk_act_q8_K>) {
        pk_quantize_act_q8_K(x, blocks, count)
    }
}
