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

        var candidates = logits.indices.map { (id: $0, logit: logits[$0]) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if p.topK > 0 && p.topK < candidates.count { candidates.removeLast(candidates.count - p.topK) }
        var probabilities = Self.softmax(candidates.map(\.logit))
        if p.topP < 1 {
            var total: Float = 0
            var keep = candidates.count
            for (index, probability) in probabilities.enumerated() {
                total += probability
                if total >= p.topP {
                    keep = index + 1
                    break
                }
            }
            candidates.removeLast(candidates.count - keep)
            probabilities = Self.softmax(candidates.map(\.logit))
        }
        if p.minP > 0, let top = probabilities.first {
            let keep = probabilities.prefix { $0 >= p.minP * top }.count
            candidates.removeLast(candidates.count - max(1, keep))
        }
        probabilities = Self.softmax(candidates.map { $0.logit / p.temperature })
        var draw = Float(Double(random.next() >> 11) / Double(1 << 53))
        for (index, probability) in probabilities.enumerated() {
            draw -= probability
            if draw < 0 { return candidates[index].id }
        }
        return candidates[candidates.count - 1].id
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
