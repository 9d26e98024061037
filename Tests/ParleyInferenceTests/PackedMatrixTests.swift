import CParleyKernels
@testable import ParleyInference
import Testing

/// The packed 8-row kernels against the row-by-row kernels, on fresh random data each run
/// (seeded and printed), at every implementation the CPU has.
@Suite struct PackedMatrixTests {
    static let seed = UInt64.random(in: 1...UInt64.max)
    static let levels = KernelTests.levels

    init() { print("PackedMatrixTests seed: \(Self.seed)") }

    struct Case {
        let type: GGMLType
        let rows: Int
        let columns: Int
        let weights: [UInt8]
        let packed: PackedMatrix
        let activations: [pk_act_q8]
        let batch: Int

        init(type: GGMLType, rows: Int = 24, columns: Int = 32 * 7, batch: Int = 11, seed: UInt64) {
            var random = KernelTests.Random(seed)
            self.type = type
            self.rows = rows
            self.columns = columns
            self.batch = batch
            let weights = KernelTests.quantise(random.floats(rows * columns), as: type)
            self.weights = weights
            packed = weights.withUnsafeBytes { raw in
                PackedMatrix(WeightMatrix(
                    name: "w", type: type, rows: rows, columns: columns, rowBytes: type.rowBytes(columns)!,
                    data: raw.baseAddress!))!
            }
            var activations = [pk_act_q8](repeating: pk_act_q8(), count: batch * columns / 32)
            for t in 0..<batch {
                let x = random.floats(columns, scale: 3)
                activations.withUnsafeMutableBufferPointer {
                    pk_quantize_act_q8(x, $0.baseAddress! + t * columns / 32, columns)
                }
            }
            self.activations = activations
        }

        /// [token][row] through the packed kernels at `level`, `batch` tokens per call.
        func packedProducts(level: Int, batch: Int) -> [Float] {
            var y = [Float](repeating: .nan, count: self.batch * rows)
            for t0 in stride(from: 0, to: self.batch, by: batch) {
                let count = min(batch, self.batch - t0)
                activations.withUnsafeBufferPointer { a in
                    y.withUnsafeMutableBufferPointer { out in
                        pk_packed_matmul_at(
                            Int32(level), Int32(type.rawValue), packed.data, columns, a.baseAddress! + t0 * columns / 32,
                            columns / 32, count, out.baseAddress! + t0 * rows, rows, 0, packed.groups)
                    }
                }
            }
            return y
        }

        /// [token][row] through the row-by-row portable kernel.
        func rowByRowProducts() -> [Float] {
            var y = [Float](repeating: 0, count: batch * rows)
            weights.withUnsafeBytes { raw in
                for t in 0..<batch {
                    for r in 0..<rows {
                        y[t * rows + r] = activations.withUnsafeBufferPointer { a in
                            pk_dot_at(0, Int32(type.rawValue), raw.baseAddress! + r * type.rowBytes(columns)!,
                                      a.baseAddress! + t * columns / 32, columns)
                        }
                    }
                }
            }
            return y
        }
    }

    @Test(arguments: [GGMLType.q4_1, .q8_0])
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

    @Test(arguments: [GGMLType.q4_1, .q8_0])
    func everyImplementationAndBatchSizeGivesIdenticalBits(type: GGMLType) {
        let c = Case(type: type, seed: Self.seed ^ UInt64(type.rawValue) << 8)
        let definition = c.packedProducts(level: 0, batch: 1)
        for level in Self.levels {
            for batch in [1, 3, 4, c.batch] {
                #expect(c.packedProducts(level: level, batch: batch) == definition, "\(type) level \(level) batch \(batch) (seed \(Self.seed))")
            }
        }
    }

    @Test func matricesWithoutAPackedFormStayUnpacked() {
        let bytes = [UInt8](repeating: 0, count: 12 * 20)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            #expect(PackedMatrix(WeightMatrix(name: "w", type: .q4_1, rows: 12, columns: 32, rowBytes: 20, data: base)) == nil)
            #expect(PackedMatrix(WeightMatrix(name: "w", type: .q4_0, rows: 8, columns: 32, rowBytes: 18, data: base)) == nil)
            #expect(PackedMatrix(WeightMatrix(name: "w", type: .q4_1, rows: 8, columns: 32, rowBytes: 20, data: base)) != nil)
        }
    }
}
