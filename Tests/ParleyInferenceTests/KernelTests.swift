import CParleyKernels
import Foundation
@testable import ParleyInference
import Testing

/// The C kernels against plain float references, on fresh random data each run (the seed is
/// printed, so that a failure can be replayed), at every implementation the CPU has.
@Suite struct KernelTests {
    static let seed = UInt64.random(in: 1...UInt64.max)
    static let levels = Array(0...Int(pk_max_implementation()))

    init() {
        print("KernelTests seed: \(Self.seed); implementations: \(Self.levels)")
    }

    struct Random {
        var generator: SplitMix64
        init(_ seed: UInt64) { generator = SplitMix64(seed: seed) }
        mutating func float() -> Float { Float(Double(generator.next() >> 11) / Double(1 << 53)) * 2 - 1 }
        mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in float() * scale } }

        /// Blocks of `type` holding `n` values: random quants, scales and (Q6_K) signed sub-block
        /// scales, and positive fp16 super-scales small enough for real weights.
        mutating func blocks(_ type: GGMLType, _ n: Int) -> [UInt8] {
            let (perBlock, size) = type.block
            var bytes = (0..<n / perBlock * size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let scaleOffsets = switch type {
            case .q4_K, .q5_K: [0, 2]
            case .q6_K: [208]
            default: [0]
            }
            for block in 0..<n / perBlock {
                for offset in scaleOffsets {
                    let bits = pk_fp32_to_fp16((float() + 1.5) / 400)
                    bytes[block * size + offset] = UInt8(bits & 0xFF)
                    bytes[block * size + offset + 1] = UInt8(bits >> 8)
                }
            }
            return bytes
        }

        /// Weights of `type` for `n` values: quantised from random floats where the test has a
        /// quantiser, random blocks otherwise.
        mutating func weights(_ type: GGMLType, _ n: Int) -> [UInt8] {
            [.q5_0, .q4_K, .q5_K, .q6_K].contains(type) ? blocks(type, n) : KernelTests.quantise(floats(n), as: type)
        }
    }

    /// Every type with an integer kernel.
    static let quantisedTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q8_0, .q4_K, .q5_K, .q6_K]

    /// Quantises floats into ggml blocks of `type` the plain way (as ggml's reference quantisers do).
    static func quantise(_ x: [Float], as type: GGMLType) -> [UInt8] {
        var out: [UInt8] = []
        func half(_ f: Float) { withUnsafeBytes(of: pk_fp32_to_fp16(f).littleEndian) { out += $0 } }
        switch type {
        case .f32:
            for v in x { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        case .f16:
            for v in x { half(v) }
        case .bf16:
            for v in x { withUnsafeBytes(of: UInt16(v.bitPattern >> 16).littleEndian) { out += $0 } }
        case .q8_0:
            for b in stride(from: 0, to: x.count, by: 32) {
                let block = x[b..<b + 32]
                let d = (block.map(abs).max() ?? 0) / 127
                half(d)
                for v in block { out.append(UInt8(bitPattern: Int8(d == 0 ? 0 : (v / d).rounded()))) }
            }
        case .q4_0:
            for b in stride(from: 0, to: x.count, by: 32) {
                let block = Array(x[b..<b + 32])
                let extreme = block.max { abs($0) < abs($1) } ?? 0
                let d = extreme / -8
                half(d)
                let q = block.map { v in UInt8(min(15, max(0, Int((d == 0 ? 0 : v / d) + 8.5)))) }
                for j in 0..<16 { out.append(q[j] | q[j + 16] << 4) }
            }
        case .q5_0:
            for b in stride(from: 0, to: x.count, by: 32) {
                let block = Array(x[b..<b + 32])
                let extreme = block.max { abs($0) < abs($1) } ?? 0
                let d = extreme / -16
                half(d)
                let q = block.map { v in UInt32(min(31, max(0, Int((d == 0 ? 0 : v / d) + 16.5)))) }
                let fifth = (0..<32).reduce(UInt32(0)) { $0 | (q[$1] >> 4) << UInt32($1) }
                withUnsafeBytes(of: fifth.littleEndian) { out += $0 }
                for j in 0..<16 { out.append(UInt8(q[j] & 15) | UInt8(q[j + 16] & 15) << 4) }
            }
        case .q4_1:
            for b in stride(from: 0, to: x.count, by: 32) {
                let block = Array(x[b..<b + 32])
                let low = block.min() ?? 0, high = block.max() ?? 0
                let d = (high - low) / 15
                half(d)
                half(low)
                let q = block.map { v in UInt8(min(15, max(0, Int((d == 0 ? 0 : (v - low) / d) + 0.5)))) }
                for j in 0..<16 { out.append(q[j] | q[j + 16] << 4) }
            }
        default:
            Issue.record("no test quantiser for \(type)")
        }
        return out
    }

    static func dequantise(_ bytes: [UInt8], as type: GGMLType, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { Dequantize.row(type, raw.baseAddress!, count: count, into: $0.baseAddress!) }
        }
        return out
    }

    @Test(arguments: [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0])
    func dequantisationStaysWithinTheTypesPrecision(type: GGMLType) {
        var random = Random(Self.seed ^ UInt64(type.rawValue))
        let n = 32 * 13
        let x = random.floats(n, scale: 3)
        let back = Self.dequantise(Self.quantise(x, as: type), as: type, count: n)
        let tolerance: Float = switch type {
        case .f32: 0
        case .f16: 3e-3
        case .bf16: 2.5e-2
        case .q8_0: 3.0 / 127
        case .q5_0: 3.0 / 15
        default: 6.0 / 15
        }
        for i in 0..<n {
            #expect(abs(back[i] - x[i]) <= tolerance, "\(type) element \(i): \(x[i]) → \(back[i]) (seed \(Self.seed))")
        }
    }

    @Test(arguments: quantisedTypes, [1, 7, 18, 48])
    func quantisedDotProductsMatchTheFloatReference(type: GGMLType, blocks: Int) {
        let n = blocks * type.block.elements
        var random = Random(Self.seed ^ UInt64(n) ^ UInt64(type.rawValue) << 32)
        let weights = random.weights(type, n)
        let w = Self.dequantise(weights, as: type, count: n)
        let x = random.floats(n, scale: 4)
        for level in Self.levels {
            var act = [pk_act_q8](repeating: pk_act_q8(), count: n / 32)
            pk_quantize_act_q8_at(Int32(level), x, &act, n)
            // Exactly the products the kernel sums, in floats: the quantised activations.
            var xq = [Float](repeating: 0, count: n)
            for b in 0..<n / 32 {
                withUnsafeBytes(of: act[b].qs) { qs in
                    for j in 0..<32 { xq[b * 32 + j] = act[b].d * Float(Int8(bitPattern: qs[j])) }
                }
            }
            let exact = zip(w, xq).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let reference = zip(w, x).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let fast = weights.withUnsafeBytes { raw in
                pk_dot_at(Int32(level), Int32(type.rawValue), raw.baseAddress!, act, n)
            }
            let scale = zip(w, x).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
            // The same sum in another order, and the fp16 rounding of the activation sum s (Q4_1,
            // Q4_K, Q5_K).
            #expect(abs(fast - exact) <= 2e-3 * scale + 1e-4, "\(type) n=\(n) level \(level): \(fast) vs \(exact) (seed \(Self.seed))")
            // Within the activation quantisation error budget of the float reference.
            #expect(abs(fast - reference) <= 0.02 * scale + 1e-3, "\(type) n=\(n) level \(level): \(fast) vs \(reference) (seed \(Self.seed))")
        }
    }

    @Test func everyImplementationQuantisesActivationsIdentically() {
        var random = Random(Self.seed)
        let n = 32 * 9
        let x = random.floats(n, scale: 10)
        var results: [[Int8]] = []
        for level in Self.levels {
            var act = [pk_act_q8](repeating: pk_act_q8(), count: n / 32)
            pk_quantize_act_q8_at(Int32(level), x, &act, n)
            results.append(act.flatMap { block in withUnsafeBytes(of: block.qs) { $0.map { Int8(bitPattern: $0) } } })
        }
        #expect(results.allSatisfy { $0 == results[0] }, "seed \(Self.seed)")
    }

    @Test func fp16ConversionRoundTripsEveryHalf() {
        for bits in UInt16.min...UInt16.max {
            let value = pk_fp16_to_fp32(bits)
            if value.isNaN { continue }
            #expect(pk_fp32_to_fp16(value) == bits)
            #expect(value == Float(Float16(bitPattern: bits)))
        }
    }

    @Test func matVecSplitsRowsAcrossThreadsWithoutChangingResults() {
        var random = Random(Self.seed)
        let rows = 37, columns = 64
        let bytes = Self.quantise(random.floats(rows * columns), as: .q4_1)
        let x = random.floats(columns)
        var act = [pk_act_q8](repeating: pk_act_q8(), count: columns / 32)
        pk_quantize_act_q8(x, &act, columns)
        var single = [Float](repeating: 0, count: rows)
        pk_matvec(3, bytes, 40, columns, act, &single, 0, rows)
        let pool = ThreadPool(threads: 2)
        var split = [Float](repeating: 0, count: rows)
        split.withUnsafeMutableBufferPointer { out in
            let y = out.baseAddress!
            bytes.withUnsafeBytes { raw in
                act.withUnsafeBufferPointer { a in
                    pool.parallelFor(rows) { range in
                        pk_matvec(3, raw.baseAddress!, 40, columns, a.baseAddress!, y, range.lowerBound, range.upperBound)
                    }
                }
            }
        }
        #expect(split == single)
    }

    /// What is exact, at every level this CPU has (levels above it cannot run here; below it,
    /// every machine checks them): a token's products are the same bits whether it is computed
    /// alone (`pk_matvec`) or in a batch (`pk_matmul`), so a prompt prefilled in one pass and one
    /// fed token by token agree. Across levels the summation order differs only between the
    /// portable code and the vector code; AVX2 and VNNI are bit-identical (next test).
    @Test(arguments: quantisedTypes)
    func batchedProductsEqualOneTokenAtATimeExactly(type: GGMLType) {
        var random = Random(Self.seed ^ 0xBA7C4)
        let rows = 5, columns = type.block.elements * 7, batch = 11
        let rowBytes = type.rowBytes(columns)!
        let weights = random.weights(type, rows * columns)
        var acts = [pk_act_q8](repeating: pk_act_q8(), count: batch * columns / 32)
        for b in 0..<batch {
            let x = random.floats(columns, scale: 3)
            acts.withUnsafeMutableBufferPointer { pk_quantize_act_q8(x, $0.baseAddress! + b * columns / 32, columns) }
        }
        for level in Self.levels.map(Int32.init) {
            var batched = [Float](repeating: 0, count: batch * rows)
            weights.withUnsafeBytes { raw in
                pk_matmul_at(level, Int32(type.rawValue), raw.baseAddress!, rowBytes, columns, acts, columns / 32, batch, &batched, rows, 0, rows)
                for b in 0..<batch {
                    var single = [Float](repeating: 0, count: rows)
                    acts.withUnsafeBufferPointer { a in
                        pk_matvec_at(level, Int32(type.rawValue), raw.baseAddress!, rowBytes, columns, a.baseAddress! + b * columns / 32, &single, 0, rows)
                    }
                    #expect(Array(batched[b * rows..<(b + 1) * rows]) == single, "\(type) level \(level) token \(b) (seed \(Self.seed))")
                }
            }
        }
    }

    /// AVX2 and AVX-512 VNNI sum in the same order, so the engine gives the same bits on either
    /// CPU. (Checked where the CPU has VNNI; an AVX2-only machine has one vector level.)
    @Test(arguments: quantisedTypes, [1, 7, 18, 48])
    func vectorLevelsAgreeBitForBit(type: GGMLType, blocks: Int) {
        let n = blocks * type.block.elements
        var random = Random(Self.seed ^ UInt64(n))
        let weights = random.weights(type, n)
        let x = random.floats(n, scale: 2)
        var act = [pk_act_q8](repeating: pk_act_q8(), count: n / 32)
        pk_quantize_act_q8_at(1, x, &act, n)
        let results = Self.levels.filter { $0 >= 1 }.map { level in
            weights.withUnsafeBytes { pk_dot_at(Int32(level), Int32(type.rawValue), $0.baseAddress!, act, n) }
        }
        #expect(Set(results.map(\.bitPattern)).count <= 1, "\(type) n=\(n): \(results) (seed \(Self.seed))")
    }
}
