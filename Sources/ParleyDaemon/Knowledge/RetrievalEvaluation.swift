public import Foundation
import Logging
public import ParleyCore
import ParleyStore

/// How well the knowledge search finds the passage that answers each of a set of questions
/// (`parley knowledge eval`): the share found first, and among the first three.
public struct RetrievalEvaluation: Sendable {
    public struct Case: Sendable {
        public var question: String
        /// `file.md#Heading`: the file's name and the passage's own heading; `none` for a
        /// question the documents do not answer.
        public var passage: String

        var isOutOfScope: Bool { passage == "none" }
    }

    public struct Result: Sendable {
        /// Questions the documents answer.
        public var cases: Int
        public var top1: Int
        public var top3: Int
        /// Of those, how many the bot would answer (best passage at `min_score` or more).
        public var answered: Int
        /// Questions they do not answer, and how many of them the bot would decline.
        public var outOfScope: Int
        public var declined: Int
        /// The questions whose passage was not among the first three, with what came first.
        public var misses: [(question: String, expected: String, found: [String])]

        public var top1Rate: Double { cases == 0 ? 0 : Double(top1) / Double(cases) }
        public var top3Rate: Double { cases == 0 ? 0 : Double(top3) / Double(cases) }
    }

    /// Reads a questions file: a list of `{question, passage}`.
    public static func cases(fromFile path: String) throws -> [Case] {
        let text = try TextFile.read(path)
        let root = ConfigNode(
            node: try ConfigLoader.compose(text, file: path), path: "",
            source: ConfigSource(file: path, environment: [:], readFile: { try TextFile.read($0) }))
        return try root.list().map { entry in
            let map = try entry.mapping(keys: ["question", "passage"])
            return Case(question: try map.required("question").nonEmptyString(), passage: try map.required("passage").nonEmptyString())
        }
    }

    /// Indexes `path` in a store of its own and asks every question.
    public static func run(path: String, cases: [Case], minScore: Double = KnowledgePolicy.defaultMinScore) async throws -> Result {
        let store = try SQLiteStore(path: ":memory:")
        _ = try await KnowledgeIndexer(store: store, logger: Logger(label: "parley.knowledge", factory: { _ in SwiftLogNoOpLogHandler() }))
            .index([path])
        var result = Result(cases: 0, top1: 0, top3: 0, answered: 0, outOfScope: 0, declined: 0, misses: [])
        for item in cases {
            let found = try await store.search(item.question, in: [path], limit: 3)
            let answers = (found.first?.coverage ?? 0) >= minScore
            if item.isOutOfScope {
                result.outOfScope += 1
                if !answers { result.declined += 1 }
                continue
            }
            result.cases += 1
            if answers { result.answered += 1 }
            let names = found.map { "\(URL(fileURLWithPath: $0.source).lastPathComponent)#\($0.headings.last ?? "")" }
            if names.first == item.passage { result.top1 += 1 }
            if names.contains(item.passage) {
                result.top3 += 1
            } else {
                result.misses.append((item.question, item.passage, names))
            }
        }
        return result
    }
}
