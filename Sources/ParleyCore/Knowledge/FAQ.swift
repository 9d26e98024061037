/// Questions the operator answers once and for all (`faq:` in a channel's knowledge): each
/// entry's variants, as customers ask, and its answer. A question that matches a variant
/// strongly is answered with the entry's text, without the model.
public struct FAQ: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var questions: [String]
        public var answer: String

        public init(questions: [String], answer: String) {
            self.questions = questions
            self.answer = answer
        }
    }

    public var entries: [Entry]
    /// How much of the words two questions share (of all the words either has) for a match.
    public var minSimilarity: Double

    public init(entries: [Entry], minSimilarity: Double = 0.6) {
        self.entries = entries
        self.minSimilarity = minSimilarity
    }

    /// The answer to `question`, if an entry matches it at least `minSimilarity`.
    public func answer(to question: String) -> String? {
        let asked = Self.words(question)
        guard !asked.isEmpty else { return nil }
        var best: (score: Double, answer: String)?
        for entry in entries {
            for variant in entry.questions {
                let words = Self.words(variant)
                let union = asked.union(words).count
                guard union > 0 else { continue }
                let score = Double(asked.intersection(words).count) / Double(union)
                if score > (best?.score ?? 0) { best = (score, entry.answer) }
            }
        }
        guard let best, best.score >= minSimilarity else { return nil }
        return best.answer
    }

    /// The words that carry meaning, a plural `s` dropped.
    static func words(_ text: String) -> Set<String> {
        Set(QueryTerms.terms(of: text).map { $0.count > 3 && $0.hasSuffix("s") && !$0.hasSuffix("ss") ? String($0.dropLast()) : $0 })
    }
}
