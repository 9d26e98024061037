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

    /// The activation rows every product of one call multiplies: x_b at `x + b * xStride`, its
    /// quantised form (which must be there when a matrix's type is quantised) at
    /// `quantised + b * quantisedStride`.
    struct Input {
        let x: UnsafePointer<Float>
        let xStride: Int
        let quantised: UnsafePointer<pk_act_q8>
        let quantisedStride: Int
        let count: Int
    }

    /// Every product in one pass over the threads (Q, K and V, or gate and up, share an input):
    /// each thread computes its share of every matrix, so there is one hand-off, not one per matrix.
    static func multiply(_ products: [Product], _ input: Input, pool: ThreadPool) {
        let parts = pool.threadCount
        pool.run { part in
            for product in products { compute(product, input, part: part, of: parts) }
        }
    }

    /// y_b = W x_b for `count` rows b (see `Input`).
    static func multiply(
        _ w: WeightMatrix, x: UnsafePointer<Float>, xStride: Int = 0,
        quantised: UnsafePointer<pk_act_q8>, quantisedStride: Int = 0, count: Int = 1,
        into y: UnsafeMutablePointer<Float>, yStride: Int = 0, pool: ThreadPool
    ) {
        multiply(
            [Product(matrix: w, y: y, yStride: yStride)],
            Input(x: x, xStride: xStride, quantised: quantised, quantisedStride: quantisedStride, count: count),
            pool: pool)
    }

    /// Part `part` of `parts` of one product: a contiguous share of its rows (of its 8-row
    /// groups when packed).
    private static func compute(_ p: Product, _ input: Input, part: Int, of parts: Int) {
        let w = p.matrix
        if let packed = w.packed {
            let begin = packed.groups * part / parts, end = packed.groups * (part + 1) / parts
            guard begin < end else { return }
            pk_packed_matmul(
                Int32(packed.type.rawValue), packed.data, packed.columns, input.quantised, input.quantisedStride,
                input.count, p.y, p.yStride, begin, end)
            return
        }
        let begin = w.rows * part / parts, end = w.rows * (part + 1) / parts
        guard begin < end else { return }
        if isQuantised(w.type) {
            pk_matmul(
                Int32(w.type.rawValue), w.data, w.rowBytes, w.columns, input.quantised, input.quantisedStride,
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
}
