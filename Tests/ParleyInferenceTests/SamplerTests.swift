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
}
