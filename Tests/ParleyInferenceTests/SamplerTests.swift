import Foundation
@testable import ParleyInference
import Testing

@Suite struct SamplerTests {
    @Test func greedyTakesTheLargestLogitAndTheLowestIdAmongEquals() {
        var sampler = Sampler(.greedy)
        #expect(sampler.next(logits: [0.1, 2, 2, -1], history: []) == 1)
    }

    @Test func topKOfOneIsGreedyAtAnyTemperature() {
        var sampler = Sampler(SamplingParameters(temperature: 5, topK: 1, topP: 1, minP: 0, repetitionPenalty: 1, seed: 1))
        for _ in 0..<20 { #expect(sampler.next(logits: [0, 1, 3, 2], history: []) == 2) }
    }

    @Test func minPDropsUnlikelyTokens() {
        var sampler = Sampler(SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0.5, repetitionPenalty: 1, seed: 7))
        for _ in 0..<50 { #expect([0, 1].contains(sampler.next(logits: [5, 5, 0, -3], history: []))) }
    }

    @Test func repetitionPenaltyDemotesRecentTokens() {
        var sampler = Sampler(SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 2, seed: 1))
        #expect(sampler.next(logits: [3, 2, 1], history: [0]) == 1)
    }

    @Test func aSeedMakesDrawsRepeatable() {
        let logits: [Float] = (0..<100).map { Float($0 % 7) }
        var a = Sampler(SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, seed: 99))
        var b = Sampler(SamplingParameters(temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, seed: 99))
        let first = (0..<30).map { _ in a.next(logits: logits, history: []) }
        #expect(first == (0..<30).map { _ in b.next(logits: logits, history: []) })
        #expect(Set(first).count > 1)
    }

    /// The plain algorithm the sampler must agree with: sort the whole vocabulary, cut to top-k,
    /// the nucleus (its sums in Double, as the sampler's) and min-p, then draw.
    static func referenceDraw(_ logits: [Float], _ p: SamplingParameters, draw: Float) -> Int {
        var candidates = logits.indices.map { (id: $0, logit: logits[$0]) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if p.topK > 0 && p.topK < candidates.count { candidates.removeLast(candidates.count - p.topK) }
        let maximum = candidates[0].logit
        if p.topP < 1 {
            let exps = candidates.map { Double(expf($0.logit - maximum)) }
            let total = exps.reduce(0, +)
            var cumulative = 0.0
            var keep = candidates.count
            for (index, value) in exps.enumerated() {
                cumulative += value / total
                if cumulative >= Double(p.topP) {
                    keep = index + 1
                    break
                }
            }
            candidates.removeLast(candidates.count - keep)
        }
        if p.minP > 0 {
            candidates.removeLast(candidates.count - max(1, candidates.prefix { expf($0.logit - maximum) >= p.minP }.count))
        }
        var remaining = draw
        for (index, probability) in Sampler.softmax(candidates.map { $0.logit / p.temperature }).enumerated() {
            remaining -= probability
            if remaining < 0 { return candidates[index].id }
        }
        return candidates[candidates.count - 1].id
    }

    // Issue 11: the sampler selects without sorting the whole vocabulary, and picks exactly what
    // sorting it would have (same seed, same draws), for top-k, top-p and min-p alike.
    @Test(arguments: [
        SamplingParameters(temperature: 0.7, topK: 40, topP: 0.95, minP: 0.05, repetitionPenalty: 1, seed: 3),
        SamplingParameters(temperature: 1, topK: 0, topP: 0.9, minP: 0, repetitionPenalty: 1, seed: 4),
        SamplingParameters(temperature: 0.8, topK: 0, topP: 1, minP: 0.1, repetitionPenalty: 1, seed: 5),
        SamplingParameters(temperature: 1.3, topK: 5, topP: 1, minP: 0, repetitionPenalty: 1, seed: 6),
        SamplingParameters(temperature: 1, topK: 0, topP: 0.5, minP: 0.02, repetitionPenalty: 1, seed: 7),
    ])
    func selectionAgreesWithSortingTheWholeVocabulary(parameters: SamplingParameters) {
        var generator = SplitMix64(seed: 0x5EED ^ (parameters.seed ?? 0))
        var sampler = Sampler(parameters)
        var draws = SplitMix64(seed: parameters.seed ?? 0)
        // Small enough not to hold a cooperative thread for long in a debug build (the suites
        // run side by side, and some wait on the clock).
        for _ in 0..<20 {
            // A vocabulary with a few likely tokens and a long flat tail, and ties.
            let logits = (0..<2048).map { _ in Float(generator.next() % 1000) / 100 - (generator.next() % 8 == 0 ? 0 : 6) }
            let draw = Float(Double(draws.next() >> 11) / Double(1 << 53))
            #expect(sampler.next(logits: logits, history: []) == Self.referenceDraw(logits, parameters, draw: draw))
        }
    }

    @Test func topKKeepsTheBestAndTheLowestIdAmongEquals() {
        let kept = Sampler.topK([1, 5, 3, 5, 2, 5], 3).sorted(by: Sampler.ranksAbove).map(\.id)
        #expect(kept == [1, 3, 5])
    }
}
