import CParleyKernels

/// Plain reference conversions of every supported tensor type to floats: the definition the
/// fast kernels are tested against, and the path for types without a fast kernel.
enum Dequantize {
    /// Writes the `count` values of the row at `source` (of `type`) to `destination`.
    static func row(_ type: GGMLType, _ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32:
            destination.update(from: source.assumingMemoryBound(to: Float.self), count: count)
        case .f16:
            for i in 0..<count { destination[i] = half(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16:
            for i in 0..<count {
                destination[i] = Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        case .q4_0:
            blocks(source, count: count, bytes: 18, into: destination) { block, out in
                let d = half(block.loadUnaligned(as: UInt16.self))
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                    out[j] = d * Float(Int(byte & 0x0F) - 8)
                    out[j + 16] = d * Float(Int(byte >> 4) - 8)
                }
            }
        case .q4_1:
            blocks(source, count: count, bytes: 20, into: destination) { block, out in
                let d = half(block.loadUnaligned(as: UInt16.self))
                let m = half(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 4 + j, as: UInt8.self)
                    out[j] = d * Float(byte & 0x0F) + m
                    out[j + 16] = d * Float(byte >> 4) + m
                }
            }
        case .q5_0:
            blocks(source, count: count, bytes: 22, into: destination) { block, out in
                let d = half(block.loadUnaligned(as: UInt16.self))
                let fifth = block.loadUnaligned(fromByteOffset: 2, as: UInt32.self).littleEndian
                for j in 0..<16 {
                    let byte = block.load(fromByteOffset: 6 + j, as: UInt8.self)
                    let low = Int(byte & 0x0F) | Int((fifth >> j) & 1) << 4
                    let high = Int(byte >> 4) | Int((fifth >> (j + 16)) & 1) << 4
                    out[j] = d * Float(low - 16)
                    out[j + 16] = d * Float(high - 16)
                }
            }
        case .q8_0:
            blocks(source, count: count, bytes: 34, into: destination) { block, out in
                let d = half(block.loadUnaligned(as: UInt16.self))
                for j in 0..<32 { out[j] = d * Float(block.load(fromByteOffset: 2 + j, as: Int8.self)) }
            }
        case .q4_K:
            superBlocks(source, count: count, bytes: 144, into: destination, KQuants.dequantizeQ4K)
        case .q5_K:
            superBlocks(source, count: count, bytes: 176, into: destination, KQuants.dequantizeQ5K)
        case .q6_K:
            superBlocks(source, count: count, bytes: 210, into: destination, KQuants.dequantizeQ6K)
        default:
            for i in 0..<count { destination[i] = .nan }
        }
    }

    static func half(_ bits: UInt16) -> Float {
        pk_fp16_to_fp32(bits)
    }

    private static func superBlocks(
        _ source: UnsafeRawPointer, count: Int, bytes: Int, into destination: UnsafeMutablePointer<Float>,
        _ body: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
    ) {
        for b in 0..<count / 256 { body(source + b * bytes, destination + b * 256) }
    }

    private static func blocks(
        _ source: UnsafeRawPointer, count: Int, bytes: Int, into destination: UnsafeMutablePointer<Float>,
        _ body: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
    ) {
        for b in 0..<count / 32 { body(source + b * bytes, destination + b * 32) }
    }
}
