/// One passage of the operator's documents: a section under its heading path.
public struct KnowledgePassage: Sendable, Hashable {
    /// The file it came from, as found under the configured path.
    public var source: String
    /// The headings above it, outermost first (the file's name when it has none).
    public var headings: [String]
    public var text: String
    /// How well it matches the question (BM25, higher is better; only comparable within one
    /// search): what ranks passages.
    public var score: Double
    /// The share of the question's words (`QueryTerms`) it contains, from 0 to 1: what decides
    /// whether it answers the question at all (`min_score`).
    public var coverage: Double

    public init(source: String, headings: [String], text: String, score: Double = 0, coverage: Double = 0) {
        self.source = source
        self.headings = headings
        self.text = text
        self.score = score
        self.coverage = coverage
    }

    /// How a reply cites it: `Billing › Refunds`.
    public var title: String { headings.joined(separator: " › ") }
}

/// Where the operator's documents are searched (Parley's SQLite, FTS5 with BM25).
public protocol KnowledgeBase: Sendable {
    /// The best `limit` passages for `question` among the documents under `paths`, best first.
    func search(_ question: String, in paths: [String], limit: Int) async throws -> [KnowledgePassage]
}

/// A channel's knowledge settings (`knowledge:` in a channel rule).
public struct KnowledgePolicy: Sendable, Hashable {
    /// Folders or files of Markdown and plain text.
    public var paths: [String]
    /// Passages given to the model.
    public var topK: Int
    /// When the best passage holds less than this share of the question's words, the bot does
    /// not generate: it says it does not know.
    public var minScore: Double
    /// Questions answered directly, without the model, when one matches strongly.
    public var faq: FAQ?

    /// Measured on the shipped fixture (`parley knowledge eval`): every out-of-scope question
    /// declined, 3 of 40 customer questions declined that the documents answer.
    public static let defaultMinScore = 0.3

    public init(paths: [String], topK: Int = 4, minScore: Double = KnowledgePolicy.defaultMinScore, faq: FAQ? = nil) {
        self.paths = paths
        self.topK = topK
        self.minScore = minScore
        self.faq = faq
    }
}
