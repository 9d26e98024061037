import CParleyKernels
import Foundation
@testable import ParleyInference
import Testing

/// The C kernels against plain float references, on fresh random data each run (the seed is
/// printed; `PARLEY_KERNEL_SEED=<seed>` replays a failure), at every implementation the CPU has.
@Suite struct KernelTests {
    static let seed = ProcessInfo.processInfo.environment["PARLEY_KERNEL_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: 1...UInt64.max)
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

    /// Rows of activations quantised as `type` multiplies them (per 32, or per 256 for the
    /// K-quants): the blocks' bytes, row b's at `blocksPerRow * b` blocks, and the values d·q
    /// the kernels multiply.
    struct Activations {
        let bytes: [UInt8]
        let blocksPerRow: Int
        let values: [[Float]]

        init(_ rows: [[Float]], for type: GGMLType, level: Int = Int(pk_implementation())) {
            let n = rows[0].count
            var bytes: [UInt8] = []
            var values: [[Float]] = []
            /// Quantises every row into `Block`s and keeps their bytes and the values d·q.
            func quantise<Block>(_ empty: Block, per: Int, _ into: (UnsafePointer<Float>, UnsafeMutablePointer<Block>) -> Void,
                                 _ value: (Block) -> [Float]) {
                for x in rows {
                    var blocks = [Block](repeating: empty, count: n / per)
                    x.withUnsafeBufferPointer { input in blocks.withUnsafeMutableBufferPointer { into(input.baseAddress!, $0.baseAddress!) } }
                    values.append(blocks.flatMap(value))
                    blocks.withUnsafeBytes { bytes += $0 }
                }
            }
            if MatVec.takesSuperBlocks(type) {
                blocksPerRow = n / 256
                quantise(pk_act_q8_K(), per: 256, { pk_quantize_act_q8_K_at(Int32(level), $0, $1, n) }) { b in
                    withUnsafeBytes(of: b.qs) { $0.map { b.d * Float(Int8(bitPattern: $0)) } }
                }
            } else {
                blocksPerRow = n / 32
                quantise(pk_act_q8(), per: 32, { pk_quantize_act_q8_at(Int32(level), $0, $1, n) }) { b in
                    withUnsafeBytes(of: b.qs) { $0.map { b.d * Float(Int8(bitPattern: $0)) } }
                }
            }
            self.bytes = bytes
            self.values = values
        }

        /// Row `row`'s blocks.
        func row<R>(_ row: Int, _ body: (UnsafeRawPointer) -> R) -> R {
            bytes.withUnsafeBytes { body($0.baseAddress! + row * bytes.count / values.count) }
        }
    }

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
            let act = Activations([x], for: type, level: level)
            // Exactly the products the kernel sums, in floats: the quantised activations.
            let xq = act.values[0]
            let exact = zip(w, xq).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let reference = zip(w, x).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let fast = weights.withUnsafeBytes { raw in
                act.row(0) { pk_dot_at(Int32(level), Int32(type.rawValue), raw.baseAddress!, $0, n) }
            }
            let scale = zip(w, x).reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
            // The same sum in another order, and the fp16 rounding of the activation sum s (Q4_1).
            #expect(abs(fast - exact) <= 2e-3 * scale + 1e-4, "\(type) n=\(n) level \(level): \(fast) vs \(exact) (seed \(Self.seed))")
            // Within the activation quantisation error budget of the float reference.
            #expect(abs(fast - reference) <= 0.02 * scale + 1e-3, "\(type) n=\(n) level \(level): \(fast) vs \(reference) (seed \(Self.seed))")
        }
    }

    @Test func everyImplementationQuantisesActivationsIdentically() {
        var random = Random(Self.seed)
        let n = 256 * 3
        let x = random.floats(n, scale: 10)
        var results: [[Int8]] = []
        var superBlocks: [[Int8]] = []
        for level in Self.levels {
            var act = [pk_act_q8](repeating: pk_act_q8(), count: n / 32)
            pk_quantize_act_q8_at(Int32(level), x, &act, n)
            results.append(act.flatMap { block in withUnsafeBytes(of: block) { $0.map { Int8(bitPattern: $0) } } })
            var blocks = [pk_act_q8_K](repeating: pk_act_q8_K(), count: n / 256)
            pk_quantize_act_q8_K_at(Int32(level), x, &blocks, n)
            superBlocks.append(blocks.flatMap { block in withUnsafeBytes(of: block) { $0.map { Int8(bitPattern: $0) } } })
        }
        #expect(results.allSatisfy { $0 == results[0] }, "seed \(Self.seed)")
        #expect(superBlocks.allSatisfy { $0 == superBlocks[0] }, "seed \(Self.seed)")
    }

    /// SwiGLU against silu(g)·u in double precision, over the range real gates take and past it
    /// (where the exponential under- and overflows), at every level; and the vector levels'
    /// exponential is libm's expf but for the rare value next to a rounding boundary (one ulp,
    /// a few in ten thousand), so that the models' goldens do not move.
    @Test func swiGLUMatchesItsDefinition() {
        var random = Random(Self.seed ^ 0x5111)
        let n = 100_000
        let gates = random.floats(n, scale: 30) + [0, -0.0, 88, -88, 89, -89, 100, -100, 200, -200, 1e-30, -1e-30]
        let ups = random.floats(gates.count, scale: 2)
        var results: [[Float]] = []
        for level in Self.levels {
            var out = gates
            pk_swiglu_at(Int32(level), &out, ups, out.count)
            for i in gates.indices {
                let g = Double(gates[i])
                let expected = g / (1 + exp(-g)) * Double(ups[i])
                #expect(abs(Double(out[i]) - expected) <= 1e-6 * abs(expected) + 1e-30, "level \(level) gate \(gates[i]): \(out[i]) vs \(expected) (seed \(Self.seed))")
            }
            results.append(out)
        }
        for result in results.dropFirst() {
            let differing = gates.indices.filter { result[$0] != results[0][$0] }
            #expect(differing.count <= gates.count / 1000, "\(differing.count) of \(gates.count) differ from libm's (seed \(Self.seed))")
            // One ulp in e^-g moves g / (1 + e^-g) · u by a few: the add, the division and the
            // product each round again. Four float epsilons bound it.
            let far = differing.filter { abs(result[$0] - results[0][$0]) > 4 * Float.ulpOfOne * abs(results[0][$0]) }
            #expect(far.isEmpty, "gates \(far.prefix(5).map { gates[$0] }): \(far.prefix(5).map { result[$0] }) vs libm's \(far.prefix(5).map { results[0][$0] }) (seed \(Self.seed))")
        }
        // The wider levels run level 1's operations in more lanes: its bits exactly.
        for (level, result) in zip(Self.levels, results) where level > 1 {
            let differing = gates.indices.filter { result[$0].bitPattern != results[1][$0].bitPattern }
            #expect(differing.isEmpty, "level \(level) differs from level 1 at gates \(differing.prefix(5).map { gates[$0] }) (seed \(Self.seed))")
        }
    }

    /// GeGLU through ggml's fp16 table: the vector path (F16C and a gather) gives the portable
    /// one's bits, on the range real gates take, at the table's edges (±10), past fp16's range,
    /// on subnormals, and on a length that leaves a tail for the portable path.
    @Test func geGLUIsTheSameAtEveryLevel() {
        var random = Random(Self.seed ^ 0x6E1)
        let edges: [Float] = [0, -0.0, -10, 10, -9.999, 9.999, 65504, 70000, -70000, 1e-7, -1e-7, 6e-8, 1e30, -1e30]
        let gates = random.floats(1001, scale: 12) + edges
        let ups = random.floats(gates.count, scale: 2)
        let results = (0...2).map { level in
            var out = gates
            pk_geglu_at(Int32(level), &out, ups, out.count)
            return out.map(\.bitPattern)
        }
        for level in 1...2 {
            let differing = gates.indices.filter { results[level][$0] != results[0][$0] }
            #expect(differing.isEmpty, "level \(level) differs at gates \(differing.prefix(5).map { gates[$0] }) (seed \(Self.seed))")
        }
        // And it is GELU: gelu(1) · 2 through fp16 is 1.6826 (0.8413 · 2).
        var one: [Float] = [1]
        pk_geglu_at(1, &one, [2], 1)
        #expect(abs(one[0] - 1.6826) < 2e-3)
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
        let acts = Activations((0..<batch).map { _ in random.floats(columns, scale: 3) }, for: type)
        for level in Self.levels.map(Int32.init) {
            var batched = [Float](repeating: 0, count: batch * rows)
            weights.withUnsafeBytes { raw in
                acts.row(0) { x in
                    pk_matmul_at(level, Int32(type.rawValue), raw.baseAddress!, rowBytes, columns, x, acts.blocksPerRow, batch, &batched, rows, 0, rows)
                }
                for b in 0..<batch {
                    var single = [Float](repeating: 0, count: rows)
                    acts.row(b) { x in
                        pk_matvec_at(level, Int32(type.rawValue), raw.baseAddress!, rowBytes, columns, x, &single, 0, rows)
                    }
                    #expect(Array(batched[b * rows..<(b + 1) * rows]) == single, "\(type) level \(level) token \(b) (seed \(Self.seed))")
                }
            }
        }
    }

    /// AVX2 and AVX-512 VNNI sum in the same order, so the engine gives the same bits on either
    /// CPU (checked where the CPU has VNNI; an AVX2-only machine has one vector level). The
    /// K-quants' floats enter once per super-block in one order everywhere, so for them the
    /// portable definition gives the same bits too.
    @Test(arguments: quantisedTypes, [1, 7, 18, 48])
    func vectorLevelsAgreeBitForBit(type: GGMLType, blocks: Int) {
        let n = blocks * type.block.elements
        var random = Random(Self.seed ^ UInt64(n))
        let weights = random.weights(type, n)
        let act = Activations([random.floats(n, scale: 2)], for: type, level: 1)
        let compared = MatVec.takesSuperBlocks(type) ? Self.levels : Self.levels.filter { $0 >= 1 }
        let results = compared.map { level in
            weights.withUnsafeBytes { w in act.row(0) { pk_dot_at(Int32(level), Int32(type.rawValue), w.baseAddress!, $0, n) } }
        }
        #expect(Set(results.map(\.bitPattern)).count <= 1, "\(type) n=\(n): \(results) (seed \(Self.seed))")
    }

    /// Activations for the K-quants as ggml's quantize_row_q8_K makes them: the value of largest
    /// magnitude is −127 (its sign in d), every other within half a step, each bsum the sum of its 16.
    @Test func superBlockActivationsAreQuantisedAsGGMLQuantisesThem() {
        var random = Random(Self.seed ^ 0x8C)
        let n = 256 * 3
        var x = random.floats(n, scale: 5)
        x[300] = 9.5  // the largest of the second super-block, positive
        x[700] = -8.25  // the largest of the third, negative
        for j in 0..<256 { x[j] = 0 }  // an all-zero first super-block
        var blocks = [pk_act_q8_K](repeating: pk_act_q8_K(), count: 3)
        pk_quantize_act_q8_K(x, &blocks, n)
        #expect(blocks[0].d == 0)
        for b in 1..<3 {
            let qs = withUnsafeBytes(of: blocks[b].qs) { $0.map { Int(Int8(bitPattern: $0)) } }
            let bsums = withUnsafeBytes(of: blocks[b].bsums) { Array($0.bindMemory(to: Int16.self)) }
            let largest = b == 1 ? 300 - 256 : 700 - 512
            #expect(qs[largest] == -127, "seed \(Self.seed)")
            #expect(blocks[b].d == 1 / (-127 / x[256 * b + largest]))
            for j in 0..<256 {
                #expect(abs(blocks[b].d * Float(qs[j]) - x[256 * b + j]) <= abs(blocks[b].d) / 2 * 1.0001, "seed \(Self.seed)")
            }
            for g in 0..<16 { #expect(Int(bsums[g]) == qs[16 * g..<16 * g + 16].reduce(0, +)) }
        }
    }
}
