import CParleyKernels

/// Matrix products of weight matrices of any supported type with one or more activation rows,
/// split over the engine's threads by weight rows.
enum MatVec {
    /// Types with an integer kernel in `CParleyKernels`; activations are quantised for them.
    static func isQuantised(_ type: GGMLType) -> Bool {
        type == .q4_0 || type == .q4_1 || type == .q8_0
    }

    static func supports(_ type: GGMLType) -> Bool {
        isQuantised(type) || [.f32, .f16, .bf16, .q4_K, .q5_K, .q6_K].contains(type)
    }

    /// y_b = W x_b for `count` rows b. x_b is at `x + b * xStride`; its quantised form (which
    /// must be there when W's type is quantised) at `quantised + b * quantisedStride`; y_b goes to
    /// `y + b * yStride`.
    static func multiply(
        _ w: WeightMatrix, x: UnsafePointer<Float>, xStride: Int = 0,
        quantised: UnsafePointer<pk_act_q8>, quantisedStride: Int = 0, count: Int = 1,
        into y: UnsafeMutablePointer<Float>, yStride: Int = 0, pool: ThreadPool
    ) {
        if isQuantised(w.type) {
            pool.parallelFor(w.rows) { rows in
                pk_matmul(
                    Int32(w.type.rawValue), w.data, w.rowBytes, w.columns, quantised, quantisedStride, count,
                    y, yStride, rows.lowerBound, rows.upperBound)
            }
        } else {
            // Types without an integer kernel yet (floats, K-quants): each row dequantised once,
            // then float dot products with every activation row.
            pool.parallelFor(w.rows) { rows in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: w.columns)
                defer { scratch.deallocate() }
                for r in rows {
                    Dequantize.row(w.type, w.row(r), count: w.columns, into: scratch)
                    for b in 0..<count { y[b * yStride + r] = pk_dot_f32(scratch, x + b * xStride, w.columns) }
                }
            }
        }
    }

    static func quantise(_ x: UnsafePointer<Float>, count: Int, into blocks: UnsafeMutablePointer<pk_act_q8>) {
        pk_quantize_act_q8(x, blocks, count)
    }
}
