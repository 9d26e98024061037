import CParleyKernels
@testable import ParleyInference
import Testing

/// The packed 8-row kernels against the row-by-row kernels, on fresh random data each run
/// (seeded and printed), at every implementation the CPU has.
@Suite struct PackedMatrixTests {
    static let seed = UInt64.random(in: 1...UInt64.max)
    static let levels = KernelTests.levels

    init() { print("PackedMatrixTests seed: \(Self.seed)") }

    /// Every type with a packed form.
    static let packedTypes: [GGMLType] = [.q4_1, .q5_0, .q8_0, .q4_K, .q6_K]

    struct Case {
        let type: GGMLType
        let rows: Int
        let columns: Int
        let weights: [UInt8]
        let packed: PackedMatrix
        let activations: KernelTests.Activations
        let batch: Int

        /// `rows` rows of 7 blocks, random weights, `batch` tokens of random activations.
        init(type: GGMLType, rows: Int = 24, batch: Int = 11, seed: UInt64) {
            var random = KernelTests.Random(seed)
            let columns = type.block.elements * 7
            let weights = random.weights(type, rows * columns)
            self.init(type: type, rows: rows, weights: weights, activations: (0..<batch).map { _ in random.floats(columns, scale: 3) })
        }

        init(type: GGMLType, rows: Int, weights: [UInt8], activations: [[Float]]) {
            self.type = type
            self.rows = rows
            columns = activations[0].count
            batch = activations.count
            self.weights = weights
            let columns = columns
            packed = weights.withUnsafeBytes { raw in
                PackedMatrix(WeightMatrix(
                    name: "w", type: type, rows: rows, columns: columns, rowBytes: type.rowBytes(columns)!,
                    data: raw.baseAddress!))!
            }
            self.activations = KernelTests.Activations(activations, for: type)
        }

        /// [token][row] through the packed kernels at `level`, `batch` tokens per call.
        func packedProducts(level: Int, batch: Int) -> [Float] {
            var y = [Float](repeating: .nan, count: self.batch * rows)
            for t0 in stride(from: 0, to: self.batch, by: batch) {
                let count = min(batch, self.batch - t0)
                activations.row(t0) { x in
                    y.withUnsafeMutableBufferPointer { out in
                        pk_packed_matmul_at(
                            Int32(level), Int32(type.rawValue), packed.data, columns, x, activations.blocksPerRow,
                            count, out.baseAddress! + t0 * rows, rows, 0, packed.groups)
                    }
                }
            }
            return y
        }

        /// [token][row] through the row-by-row kernel at `level`.
        func rowByRowProducts(level: Int = 0) -> [Float] {
            var y = [Float](repeating: 0, count: batch * rows)
            weights.withUnsafeBytes { raw in
                for t in 0..<batch {
                    for r in 0..<rows {
                        y[t * rows + r] = activations.row(t) { x in
                            pk_dot_at(Int32(level), Int32(type.rawValue), raw.baseAddress! + r * type.rowBytes(columns)!, x, columns)
                        }
                    }
                }
            }
            return y
        }
    }

    @Test(arguments: packedTypes)
    func packedProductsEqualTheRowByRowKernelsUpToSummationOrder(type: GGMLType) {
        let c = Case(type: type, seed: Self.seed ^ UInt64(type.rawValue))
        let reference = c.rowByRowProducts()
        for level in Self.levels {
            let packed = c.packedProducts(level: level, batch: c.batch)
            for i in reference.indices {
                #expect(
                    abs(packed[i] - reference[i]) <= 1e-4 * max(1, abs(reference[i])),
                    "\(type) level \(level) token \(i / c.rows) row \(i % c.rows): \(packed[i]) vs \(reference[i]) (seed \(Self.seed))")
            }
        }
    }

    /// The K-quants' float steps are the same per row in both layouts, so there packing changes
    /// no bit at all.
    @Test(arguments: [GGMLType.q4_K, .q6_K])
    func packedKQuantsEqualTheRowByRowKernelsBitForBit(type: GGMLType) {
        let c = Case(type: type, seed: Self.seed ^ UInt64(type.rawValue) << 16)
        for level in Self.levels {
            #expect(c.packedProducts(level: level, batch: c.batch) == c.rowByRowProducts(level: level), "\(type) level \(level) (seed \(Self.seed))")
        }
    }

    /// Q4_K's AVX-512 tiles sum each half super-block in float, exact below 2^24. Here every
    /// quant, scale and activation is near its largest, so that whole super-blocks' sums pass
    /// 2^24 (about −25 million) while the halves do not; the bits are still the integer kernels'.
    @Test func packedQ4KIsExactWhereSuperBlockSumsPass2To24() {
        var random = KernelTests.Random(Self.seed ^ 0x51_4b)
        let rows = 24, columns = 256 * 7, blockBytes = 144
        var weights = random.blocks(.q4_K, rows * columns)
        for block in 0..<weights.count / blockBytes {
            // Scales and mins 60...63; every nibble 12...15.
            for i in 4..<16 { weights[block * blockBytes + i] = 0xFC | UInt8(truncatingIfNeeded: random.generator.next() & 3) }
            for i in 16..<blockBytes { weights[block * blockBytes + i] = 0xCC | UInt8(truncatingIfNeeded: random.generator.next() & 0x33) }
        }
        let activations = (0..<11).map { _ in (0..<columns).map { _ in -2.75 + 0.25 * random.float() } }
        let c = Case(type: .q4_K, rows: rows, weights: weights, activations: activations)
        let reference = c.rowByRowProducts()
        for level in Self.levels {
            let packed = c.packedProducts(level: level, batch: c.batch)
            let differing = reference.indices.filter { packed[$0] != reference[$0] }
            #expect(differing.isEmpty, "level \(level): \(differing.count) of \(reference.count) products differ (seed \(Self.seed))")
        }
    }

    @Test(arguments: packedTypes)
    func everyImplementationAndBatchSizeGivesIdenticalBits(type: GGMLType) {
        let c = Case(type: type, seed: Self.seed ^ UInt64(type.rawValue) << 8)
        let definition = c.packedProducts(level: 0, batch: 1)
        for level in Self.levels {
            for batch in [1, 3, 4, 5, c.batch] {
                #expect(c.packedProducts(level: level, batch: batch) == definition, "\(type) level \(level) batch \(batch) (seed \(Self.seed))")
            }
        }
    }

    @Test func matricesWithoutAPackedFormStayUnpacked() {
        let bytes = [UInt8](repeating: 0, count: 8 * 176)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            #expect(PackedMatrix(WeightMatrix(name: "w", type: .q4_1, rows: 12, columns: 32, rowBytes: 20, data: base)) == nil)
            #expect(PackedMatrix(WeightMatrix(name: "w", type: .q4_0, rows: 8, columns: 32, rowBytes: 18, data: base)) == nil)
            #expect(PackedMatrix(WeightMatrix(name: "w", type: .q5_K, rows: 8, columns: 256, rowBytes: 176, data: base)) == nil)
            #expect(PackedMatrix(WeightMatrix(name: "w", type: .q4_1, rows: 8, columns: 32, rowBytes: 20, data: base)) != nil)
        }
    }
}
