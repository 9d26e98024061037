import CParleyKernels

/// Matrix-vector products over weight matrices of any supported type, split over the engine's
/// threads by rows.
enum MatVec {
    /// Types with an integer kernel in `CParleyKernels`; activations are quantised for them.
    static func isQuantised(_ type: GGMLType) -> Bool {
        type == .q4_0 || type == .q4_1 || type == .q8_0
    }

    static func supports(_ type: GGMLType) -> Bool {
        isQuantised(type) || [.f32, .f16, .bf16, .q4_K, .q5_K, .q6_K].contains(type)
    }

    /// y = W x. `quantised` must hold x quantised (`quantise`) when W's type is quantised.
    static func multiply(
        _ w: WeightMatrix, x: UnsafePointer<Float>, quantised: UnsafePointer<pk_act_q8>,
        into y: UnsafeMutablePointer<Float>, pool: ThreadPool
    ) {
        if isQuantised(w.type) {
            pool.parallelFor(w.rows) { rows in
                pk_matvec(Int32(w.type.rawValue), w.data, w.rowBytes, w.columns, quantised, y, rows.lowerBound, rows.upperBound)
            }
        } else {
            // Types without an integer kernel yet (floats, K-quants): each row dequantised, then
            // a float dot product.
            pool.parallelFor(w.rows) { rows in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: w.columns)
                defer { scratch.deallocate() }
                for r in rows {
                    Dequantize.row(w.type, w.row(r), count: w.columns, into: scratch)
                    y[r] = pk_dot_f32(scratch, x, w.columns)
                }
            }
        }
    }

    static func quantise(_ x: UnsafePointer<Float>, count: Int, into blocks: UnsafeMutablePointer<pk_act_q8>) {
        pk_quantize_act_q8(x, blocks, count)
    }
}
