import Foundation

/// How the next token is chosen from the logits.
public struct SamplingParameters: Sendable, Hashable {
    /// 0 chooses greedily (the most likely token, the lowest id among equals).
    public var temperature: Float
    /// Keep only the k most likely tokens; 0 keeps all.
    public var topK: Int
    /// Keep the most likely tokens whose probabilities add up to p; 1 keeps all.
    public var topP: Float
    /// Drop tokens less likely than min-p times the most likely one; 0 keeps all.
    public var minP: Float
    /// Divides positive logits (multiplies negative ones) of recently seen tokens; 1 is off.
    public var repetitionPenalty: Float
    /// How many recent tokens the penalty looks at.
    public var repetitionWindow: Int
    /// The random seed; nil draws one.
    public var seed: UInt64?

    public init(
        temperature: Float = 0.7, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
        repetitionPenalty: Float = 1.1, repetitionWindow: Int = 64, seed: UInt64? = nil
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.seed = seed
    }

    public static let greedy = SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1)
}

/// Chooses tokens: repetition penalty, then top-k, top-p and min-p, then temperature, then a
/// draw from the distribution (or the argmax when the temperature is 0).
///
/// The vocabulary is never sorted whole: top-k keeps its k best in a heap (O(n log k)), and
/// without top-k only the tokens that top-p or min-p could keep are sorted (a token whose
/// probability is below (1 − p) / n cannot be in the nucleus, since all such tokens together
/// weigh less than 1 − p).
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var random: SplitMix64

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = SplitMix64(seed: parameters.seed ?? UInt64.random(in: .min ... .max))
    }

    /// The next token, given the logits and the tokens so far.
    public mutating func next(logits: [Float], history: [Int]) -> Int {
        var logits = logits
        let p = parameters
        if p.repetitionPenalty != 1 {
            for id in Set(history.suffix(p.repetitionWindow)) where logits.indices.contains(id) {
                logits[id] = logits[id] > 0 ? logits[id] / p.repetitionPenalty : logits[id] * p.repetitionPenalty
            }
        }
        if p.temperature <= 0 { return Self.argmax(logits) }

        var candidates = Self.candidates(logits, parameters: p)
        // The order matters only to the filters; without any, a draw needs none.
        if p.topK > 0 || p.topP < 1 || p.minP > 0 { candidates.sort(by: Self.ranksAbove) }
        if p.topP < 1, let maximum = candidates.first?.logit {
            // The nucleus, on probabilities over all that top-k kept (the whole vocabulary
            // without top-k), summed in Double so that the cut does not hang on the order in
            // which tens of thousands of small numbers were added.
            let total = p.topK > 0
                ? candidates.reduce(0.0) { $0 + Double(expf($1.logit - maximum)) }
                : logits.reduce(0.0) { $0 + Double(expf($1 - maximum)) }
            var cumulative = 0.0
            var keep = candidates.count
            for (index, candidate) in candidates.enumerated() {
                cumulative += Double(expf(candidate.logit - maximum)) / total
                if cumulative >= Double(p.topP) {
                    keep = index + 1
                    break
                }
            }
            candidates.removeLast(candidates.count - keep)
        }
        if p.minP > 0, let maximum = candidates.first?.logit {
            // p_i / p_top = exp(logit_i - logit_top), whatever the normalisation.
            let keep = candidates.prefix { expf($0.logit - maximum) >= p.minP }.count
            candidates.removeLast(candidates.count - max(1, keep))
        }
        let probabilities = Self.softmax(candidates.map { $0.logit / p.temperature })
        var draw = Float(Double(random.next() >> 11) / Double(1 << 53))
        for (index, probability) in probabilities.enumerated() {
            draw -= probability
            if draw < 0 { return candidates[index].id }
        }
        return candidates[candidates.count - 1].id
    }

    typealias Candidate = (id: Int, logit: Float)

    /// Higher logit first, the lower id among equals.
    static func ranksAbove(_ a: Candidate, _ b: Candidate) -> Bool {
        a.logit > b.logit || (a.logit == b.logit && a.id < b.id)
    }

    /// The tokens that can still be chosen after top-k (or, without it, that top-p and min-p
    /// could keep), in no particular order.
    static func candidates(_ logits: [Float], parameters p: SamplingParameters) -> [Candidate] {
        if p.topK > 0 && p.topK < logits.count { return topK(logits, p.topK) }
        guard p.topP < 1 || p.minP > 0, let maximum = logits.max() else {
            return logits.indices.map { ($0, logits[$0]) }
        }
        let total = logits.reduce(0) { $0 + expf($1 - maximum) }
        // Keep p_i >= floor: below (1 - topP) / n nothing can be in the nucleus; below minP × top
        // min-p drops it anyway. Either bound alone suffices; the larger prunes more.
        var floor: Float = 0
        // Half the bound, so that rounding in the threshold never drops a token the nucleus needs.
        if p.topP < 1 { floor = max(floor, (1 - p.topP) / Float(2 * logits.count)) }
        if p.minP > 0 { floor = max(floor, p.minP / total) }
        let threshold = maximum + logf(max(floor * total, .leastNormalMagnitude))
        var kept: [Candidate] = []
        for (id, logit) in logits.enumerated() where logit >= threshold { kept.append((id, logit)) }
        return kept
    }

    /// The k best tokens, by a min-heap on the worst kept.
    static func topK(_ logits: [Float], _ k: Int) -> [Candidate] {
        var heap: [Candidate] = []
        heap.reserveCapacity(k)
        func worse(_ i: Int, _ j: Int) -> Bool { ranksAbove(heap[j], heap[i]) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let left = 2 * i + 1, right = left + 1
                var worst = i
                if left < heap.count, worse(left, worst) { worst = left }
                if right < heap.count, worse(right, worst) { worst = right }
                if worst == i { return }
                heap.swapAt(i, worst)
                i = worst
            }
        }
        for (id, logit) in logits.enumerated() {
            let candidate = (id: id, logit: logit)
            if heap.count < k {
                heap.append(candidate)
                var i = heap.count - 1
                while i > 0, worse(i, (i - 1) / 2) {
                    heap.swapAt(i, (i - 1) / 2)
                    i = (i - 1) / 2
                }
            } else if ranksAbove(candidate, heap[0]) {
                heap[0] = candidate
                siftDown(0)
            }
        }
        return heap
    }

    /// The index of the largest logit, the lowest among equals.
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return best
    }

    static func softmax(_ logits: [Float]) -> [Float] {
        guard let maximum = logits.max() else { return [] }
        let exps = logits.map { expf($0 - maximum) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }
}

/// A small, fast, seedable random number generator (SplitMix64).
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
