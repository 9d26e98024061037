/// The words of a question that carry its meaning: lowercased letters and digits, without the
/// words every question has. Shared by the FAQ match and the full-text search.
public enum QueryTerms {
    public static func terms(of text: String) -> [String] {
        var seen = Set<String>()
        return text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
            .filter { ($0.count > 1 || $0.first?.isNumber == true) && !stopWords.contains($0) && seen.insert($0).inserted }
    }

    /// The share of `terms` that `text` holds, a term counting when a word of the text begins
    /// with it or with all of it but its last two letters (`billed` finds `bill`, `charges`
    /// finds `charged`).
    public static func coverage(of terms: [String], in text: String) -> Double {
        guard !terms.isEmpty else { return 0 }
        let words = Set(text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init))
        let found = terms.filter { term in
            let stem = term.count > 5 ? String(term.dropLast(2)) : term
            return words.contains { $0.hasPrefix(stem) || (term.count > 5 && term.hasPrefix($0) && $0.count >= stem.count) }
        }
        return Double(found.count) / Double(terms.count)
    }

    static let stopWords: Set<String> = [
        "a", "an", "the", "i", "me", "my", "you", "your", "we", "our", "us", "it", "its", "is", "are", "was", "were", "be",
        "been", "do", "does", "did", "can", "could", "how", "what", "when", "where", "why", "which", "who", "to", "of",
        "in", "on", "at", "for", "with", "and", "or", "but", "so", "if", "please", "there", "this", "that", "these",
        "have", "has", "had", "will", "would", "should", "any", "am", "not", "no", "just", "get", "got", "from", "about",
        "into", "by", "as", "up", "out", "some", "there", "hi", "hello", "thanks", "help",
    ]
}
