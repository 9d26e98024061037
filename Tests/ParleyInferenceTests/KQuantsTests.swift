import CParleyKernels
import Foundation
@testable import ParleyInference
import Testing

/// K-quant dequantisation against values computed straight from the integers a block was built
/// from: the test packs random scales, mins and quants by the format's definition and expects
/// d·scale·q − dmin·min (or d·scale·(q − 32) for Q6_K) back for every one of the 256 values.
@Suite struct KQuantsTests {
    static let seed = UInt64.random(in: 1...UInt64.max)

    struct Random {
        var generator: SplitMix64
        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(generator.next() % UInt64(range.count))
        }
    }

    static func half(_ value: Float) -> (bytes: [UInt8], value: Float) {
        let bits = pk_fp32_to_fp16(value)
        return ([UInt8(bits & 0xFF), UInt8(bits >> 8)], pk_fp16_to_fp32(bits))
    }

    /// Packs eight 6-bit scales and mins as Q4_K and Q5_K store them.
    static func packScales(_ scales: [Int], _ mins: [Int]) -> [UInt8] {
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<4 {
            packed[j] = UInt8(scales[j] & 63) | UInt8((scales[j + 4] >> 4) << 6)
            packed[j + 4] = UInt8(mins[j] & 63) | UInt8((mins[j + 4] >> 4) << 6)
            packed[j + 8] = UInt8(scales[j + 4] & 0x0F) | UInt8((mins[j + 4] & 0x0F) << 4)
        }
        return packed
    }

    func dequantised(_ block: [UInt8], _ type: GGMLType) -> [Float] {
        var out = [Float](repeating: 0, count: 256)
        block.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { Dequantize.row(type, raw.baseAddress!, count: 256, into: $0.baseAddress!) }
        }
        return out
    }

    @Test(arguments: [GGMLType.q4_K, .q5_K])
    func q4KAndQ5KUnpackEveryScaleMinAndQuant(type: GGMLType) {
        var random = Random(generator: SplitMix64(seed: Self.seed ^ UInt64(type.rawValue)))
        let (dBytes, d) = Self.half(Float(random.int(1...1000)) / 7919)
        let (mBytes, dmin) = Self.half(Float(random.int(1...1000)) / 9973)
        let scales = (0..<8).map { _ in random.int(0...63) }
        let mins = (0..<8).map { _ in random.int(0...63) }
        let bits = type == .q4_K ? 4 : 5
        let q = (0..<256).map { _ in random.int(0...(1 << bits) - 1) }
        var block = dBytes + mBytes + Self.packScales(scales, mins)
        if type == .q5_K {
            var qh = [UInt8](repeating: 0, count: 32)
            for i in 0..<256 where q[i] & 16 != 0 { qh[i % 32] |= UInt8(1 << (i / 32)) }
            block += qh
        }
        for chunk in 0..<4 {
            for l in 0..<32 {
                block.append(UInt8(q[64 * chunk + l] & 0x0F) | UInt8(q[64 * chunk + 32 + l] & 0x0F) << 4)
            }
        }
        #expect(block.count == type.block.bytes)
        let values = dequantised(block, type)
        for i in 0..<256 {
            let sub = i / 32
            let expected = d * Float(scales[sub]) * Float(q[i]) - dmin * Float(mins[sub])
            #expect(abs(values[i] - expected) <= 1e-5 * max(1, abs(expected)), "\(type) value \(i) (seed \(Self.seed))")
        }
    }

    @Test func q6KUnpacksEveryScaleAndQuant() {
        var random = Random(generator: SplitMix64(seed: Self.seed))
        let (dBytes, d) = Self.half(Float(random.int(1...1000)) / 7919)
        let scales = (0..<16).map { _ in random.int(-128...127) }
        let q = (0..<256).map { _ in random.int(0...63) }
        var ql = [UInt8](repeating: 0, count: 128)
        var qh = [UInt8](repeating: 0, count: 64)
        for i in 0..<256 {
            // Within each 128: values l, l+32, l+64, l+96 share ql[l], ql[l+32] and qh[l].
            let half = i / 128, r = i % 128, quarter = r / 32, l = r % 32
            let lowIndex = 64 * half + l + (quarter % 2 == 1 ? 32 : 0)
            ql[lowIndex] |= UInt8(q[i] & 0x0F) << (quarter >= 2 ? 4 : 0)
            qh[32 * half + l] |= UInt8(q[i] >> 4) << (2 * quarter)
        }
        let block = ql + qh + scales.map { UInt8(bitPattern: Int8($0)) } + dBytes
        #expect(block.count == 210)
        let values = dequantised(block, .q6_K)
        for i in 0..<256 {
            let expected = d * Float(scales[i / 16]) * Float(q[i] - 32)
            #expect(abs(values[i] - expected) <= 1e-5 * max(1, abs(expected)), "Q6_K value \(i) (seed \(Self.seed))")
        }
    }

    @Test(arguments: [GGMLType.q4_K, .q5_K, .q6_K])
    func matricesOfKQuantsMultiplyOnQuantisedActivations(type: GGMLType) {
        var random = Random(generator: SplitMix64(seed: Self.seed ^ 0x55))
        let rows = 3, columns = 512
        let rowBytes = type.rowBytes(columns)!
        var bytes = [UInt8](repeating: 0, count: rows * rowBytes)
        for i in bytes.indices { bytes[i] = UInt8(random.int(0...255)) }
        // Keep every d finite and small so that the products are well behaved.
        let dOffsets = type == .q6_K ? [208] : [0, 2]
        for r in 0..<rows * columns / 256 {
            for offset in dOffsets {
                let half = Self.half(Float(random.int(1...100)) / 1000).bytes
                bytes[r * type.block.bytes + offset] = half[0]
                bytes[r * type.block.bytes + offset + 1] = half[1]
            }
        }
        let x = (0..<columns).map { _ in Float(random.int(-100...100)) / 50 }
        var y = [Float](repeating: 0, count: rows)
        let pool = ThreadPool(threads: 2)
        bytes.withUnsafeBytes { raw in
            let info = (type: type, rows: rows, columns: columns, rowBytes: rowBytes)
            let w = WeightMatrix(name: "w", type: info.type, rows: info.rows, columns: info.columns, rowBytes: info.rowBytes, data: raw.baseAddress!)
            y.withUnsafeMutableBufferPointer { out in
                var act = [pk_act_q8_K](repeating: pk_act_q8_K(), count: columns / 256)
                x.withUnsafeBufferPointer { input in
                    MatVec.quantise(input.baseAddress!, count: columns, into: &act)
                    act.withUnsafeBufferPointer { blocks in
                        let activations = MatVec.Input(
                            x: input.baseAddress!, xStride: 0, superBlocks: blocks.baseAddress!, count: 1)
                        MatVec.multiply(w, activations, into: out.baseAddress!, pool: pool)
                    }
                }
            }
        }
        for r in 0..<rows {
            let row = dequantised(Array(bytes[r * rowBytes..<(r + 1) * rowBytes]), type) + dequantised(Array(bytes[r * rowBytes + type.block.bytes..<(r + 1) * rowBytes]), type)
            let reference = zip(row, x).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let scale = zip(row, x).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
            // Within the error of quantising the activations to 8 bits per 256.
            #expect(abs(y[r] - reference) <= 0.02 * scale + 1e-3, "\(type) row \(r): \(y[r]) vs \(reference) (seed \(Self.seed))")
        }
    }
}
