/// ggml's K-quants, in super-blocks of 256 values: the reference dequantisation.
///
/// Q4_K (144 bytes): d, dmin (fp16); 12 bytes of eight 6-bit scales and eight 6-bit mins; 128
/// bytes of nibbles. Each 64 values use two scale/min pairs: value = d·scale·q − dmin·min, the
/// low nibbles of 32 bytes for the first 32 values and their high nibbles for the next 32.
/// Q5_K (176 bytes): as Q4_K with 32 bytes of fifth bits (qh) between scales and nibbles; the
/// fifth bit of value l of the j-th 32 is bit j of qh[l].
/// Q6_K (210 bytes): 128 bytes of low nibbles (ql), 64 bytes of 2-bit high parts (qh), sixteen
/// signed 8-bit scales, d (fp16); value = d·scale·(q − 32), each 128 values from 64 ql and 32 qh.
enum KQuants {
    static let blockValues = 256

    /// The 6-bit scale and min of sub-block `j` (0..<8) from the 12 packed bytes at `scales`.
    /// The first four pairs are the low 6 bits of bytes 0–3 and 4–7; the last four keep their low
    /// 4 bits in bytes 8–11 and their top 2 bits in the top bits of bytes 0–7.
    static func scaleAndMin(_ j: Int, _ scales: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        func q(_ i: Int) -> UInt8 { scales.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (q(j) & 63, q(j + 4) & 63) }
        return ((q(j + 4) & 0x0F) | ((q(j - 4) >> 6) << 4), (q(j + 4) >> 4) | ((q(j) >> 6) << 4))
    }

    /// The scale and min, already multiplied by the super-block's d and dmin, of the two
    /// 32-value halves of 64-value chunk `chunk` of a Q4_K or Q5_K block.
    private static func chunkScales(_ block: UnsafeRawPointer, chunk: Int) -> (s1: Float, m1: Float, s2: Float, m2: Float) {
        let d = Dequantize.half(block.loadUnaligned(as: UInt16.self))
        let dmin = Dequantize.half(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let (s1, m1) = scaleAndMin(2 * chunk, block + 4)
        let (s2, m2) = scaleAndMin(2 * chunk + 1, block + 4)
        return (d * Float(s1), dmin * Float(m1), d * Float(s2), dmin * Float(m2))
    }

    static func dequantizeQ4K(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let qs = block + 16
        for chunk in 0..<4 {
            let (s1, m1, s2, m2) = chunkScales(block, chunk: chunk)
            for l in 0..<32 {
                let byte = qs.load(fromByteOffset: 32 * chunk + l, as: UInt8.self)
                y[64 * chunk + l] = s1 * Float(byte & 0x0F) - m1
                y[64 * chunk + 32 + l] = s2 * Float(byte >> 4) - m2
            }
        }
    }

    static func dequantizeQ5K(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let qh = block + 16
        let qs = block + 48
        for chunk in 0..<4 {
            let (s1, m1, s2, m2) = chunkScales(block, chunk: chunk)
            for l in 0..<32 {
                let byte = qs.load(fromByteOffset: 32 * chunk + l, as: UInt8.self)
                let high = qh.load(fromByteOffset: l, as: UInt8.self)
                let low5 = Float(byte & 0x0F) + ((high >> (2 * chunk)) & 1 == 1 ? 16 : 0)
                let high5 = Float(byte >> 4) + ((high >> (2 * chunk + 1)) & 1 == 1 ? 16 : 0)
                y[64 * chunk + l] = s1 * low5 - m1
                y[64 * chunk + 32 + l] = s2 * high5 - m2
            }
        }
    }

    static func dequantizeQ6K(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = Dequantize.half(block.loadUnaligned(fromByteOffset: 208, as: UInt16.self))
        for half in 0..<2 {
            let ql = block + 64 * half
            let qh = block + 128 + 32 * half
            let sc = block + 192 + 8 * half
            let out = y + 128 * half
            for l in 0..<32 {
                let group = l / 16
                let low = ql.load(fromByteOffset: l, as: UInt8.self)
                let low32 = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                let high = qh.load(fromByteOffset: l, as: UInt8.self)
                let q1 = Int(low & 0x0F | ((high >> 0) & 3) << 4) - 32
                let q2 = Int(low32 & 0x0F | ((high >> 2) & 3) << 4) - 32
                let q3 = Int(low >> 4 | ((high >> 4) & 3) << 4) - 32
                let q4 = Int(low32 >> 4 | ((high >> 6) & 3) << 4) - 32
                func scale(_ i: Int) -> Float { Float(sc.load(fromByteOffset: i, as: Int8.self)) }
                out[l] = d * scale(group) * Float(q1)
                out[l + 32] = d * scale(group + 2) * Float(q2)
                out[l + 64] = d * scale(group + 4) * Float(q3)
                out[l + 96] = d * scale(group + 6) * Float(q4)
            }
        }
    }
}
