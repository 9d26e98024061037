import CParleyKernels
import Foundation
@testable import ParleyInference
import Testing

/// One attention head (`pk_attend`) against a double-precision softmax attention, on fresh random
/// data each run (seeded and printed), at every implementation the CPU has.
@Suite struct AttentionTests {
    static let seed = UInt64.random(in: 1...UInt64.max)

    init() { print("AttentionTests seed: \(Self.seed)") }

    /// softmax(scale · q·k_t) · v over fp16 inputs, in doubles.
    static func reference(q: [UInt16], keys: [UInt16], values: [UInt16], stride: Int, positions: Int, headSize: Int, scale: Float) -> [Double] {
        let f = { (h: UInt16) in Double(pk_fp16_to_fp32(h)) }
        let scores = (0..<positions).map { t in
            (0..<headSize).reduce(0.0) { $0 + f(q[$1]) * f(keys[t * stride + $1]) } * Double(scale)
        }
        let maximum = scores.max()!
        let weights = scores.map { Foundation.exp($0 - maximum) }
        let total = weights.reduce(0, +)
        return (0..<headSize).map { i in
            (0..<positions).reduce(0.0) { $0 + weights[$1] / total * f(values[$1 * stride + i]) }
        }
    }

    @Test(arguments: [(64, 1), (64, 7), (64, 8), (64, 300), (128, 33), (24, 19), (20, 5)])
    func attentionMatchesTheDoublePrecisionReference(headSize: Int, positions: Int) {
        var random = KernelTests.Random(Self.seed ^ UInt64(headSize << 16 | positions))
        let stride = headSize * 3  // as a layer's rows hold several heads
        let half = { (x: [Float]) in x.map { pk_fp32_to_fp16($0) } }
        let q = half(random.floats(headSize, scale: 2))
        // Keys spread wide enough that the softmax is far from uniform.
        let keys = half(random.floats(positions * stride, scale: 3))
        let values = half(random.floats(positions * stride, scale: 1))
        let scale = 1 / Float(headSize).squareRoot()
        let expected = Self.reference(q: q, keys: keys, values: values, stride: stride, positions: positions, headSize: headSize, scale: scale)
        for level in KernelTests.levels {
            var scores = [Float](repeating: .nan, count: positions)
            var out = [Float](repeating: .nan, count: headSize)
            pk_attend_at(Int32(level), q, keys, values, stride, positions, headSize, scale, &scores, &out)
            for i in 0..<headSize {
                // The weights are rounded to fp16 (relative 2^-11) before they meet the values.
                #expect(abs(Double(out[i]) - expected[i]) <= 2e-3, "head \(headSize) positions \(positions) level \(level) column \(i): \(out[i]) vs \(expected[i]) (seed \(Self.seed))")
            }
        }
    }

    /// Heads sharing keys and values (`pk_attend_heads`) each get what `pk_attend` gives them
    /// alone, bit for bit: groups smaller and larger than one pass takes, positions that fill no
    /// block, head sizes with columns past the last 64.
    @Test(arguments: [(64, 1, 7), (64, 3, 19), (96, 7, 40), (256, 4, 33), (128, 11, 17), (24, 2, 9)])
    func headsTakenTogetherGetWhatEachGetsAlone(headSize: Int, heads: Int, positions: Int) {
        var random = KernelTests.Random(Self.seed ^ UInt64(headSize << 20 | heads << 12 | positions))
        let stride = headSize * 2
        let half = { (x: [Float]) in x.map { pk_fp32_to_fp16($0) } }
        let q = half(random.floats(heads * headSize, scale: 2))
        let keys = half(random.floats(positions * stride, scale: 3))
        let values = half(random.floats(positions * stride, scale: 1))
        let scale = 1 / Float(headSize).squareRoot()
        for level in KernelTests.levels {
            var scores = [Float](repeating: .nan, count: heads * positions)
            var together = [Float](repeating: .nan, count: heads * headSize)
            pk_attend_heads_at(Int32(level), q, heads, keys, values, stride, positions, headSize, scale, &scores, &together)
            for head in 0..<heads {
                var alone = [Float](repeating: .nan, count: headSize)
                var own = [Float](repeating: .nan, count: positions)
                Array(q[head * headSize..<(head + 1) * headSize]).withUnsafeBufferPointer { query in
                    pk_attend_at(Int32(level), query.baseAddress, keys, values, stride, positions, headSize, scale, &own, &alone)
                }
                let mine = Array(together[head * headSize..<(head + 1) * headSize])
                #expect(mine.map(\.bitPattern) == alone.map(\.bitPattern), "level \(level) head \(head) of \(heads) (seed \(Self.seed))")
            }
        }
    }

    /// The vector levels run the same sums in the same order, the wider ones in more lanes, so
    /// every level above 1 gives level 1's bits: head sizes with and without columns past the
    /// last 64, positions that fill no block.
    @Test(arguments: [(64, 2, 300), (128, 6, 45), (256, 1, 19), (96, 3, 23), (24, 2, 9)])
    func everyVectorLevelGivesTheSameBits(headSize: Int, heads: Int, positions: Int) {
        var random = KernelTests.Random(Self.seed ^ UInt64(headSize << 20 | heads << 12 | positions) << 1)
        let stride = headSize * heads
        let half = { (x: [Float]) in x.map { pk_fp32_to_fp16($0) } }
        let q = half(random.floats(heads * headSize, scale: 2))
        let keys = half(random.floats(positions * stride, scale: 3))
        let values = half(random.floats(positions * stride, scale: 1))
        let scale = 1 / Float(headSize).squareRoot()
        func attend(_ level: Int) -> [UInt32] {
            var scores = [Float](repeating: .nan, count: heads * positions)
            var out = [Float](repeating: .nan, count: heads * headSize)
            pk_attend_heads_at(Int32(level), q, heads, keys, values, stride, positions, headSize, scale, &scores, &out)
            return out.map(\.bitPattern)
        }
        let first = attend(1)
        for level in KernelTests.levels where level > 1 {
            #expect(attend(level) == first, "head \(headSize) positions \(positions) level \(level) (seed \(Self.seed))")
        }
    }

    @Test func farAwayScoresUnderflowToZeroWeightWithoutNaN() {
        // One key aligned with q and one opposite: the second's weight underflows (exp of about -200).
        let headSize = 64
        let q = [UInt16](repeating: pk_fp32_to_fp16(4), count: headSize)
        let keys = [UInt16](repeating: pk_fp32_to_fp16(4), count: headSize) + [UInt16](repeating: pk_fp32_to_fp16(-4), count: headSize)
        let values = [UInt16](repeating: pk_fp32_to_fp16(1), count: headSize) + [UInt16](repeating: pk_fp32_to_fp16(-1), count: headSize)
        for level in KernelTests.levels {
            var scores = [Float](repeating: 0, count: 2)
            var out = [Float](repeating: .nan, count: headSize)
            pk_attend_at(Int32(level), q, keys, values, headSize, 2, headSize, 0.2, &scores, &out)
            #expect(out.allSatisfy { $0 == 1 }, "level \(level): \(out.prefix(4))")
        }
    }
}
