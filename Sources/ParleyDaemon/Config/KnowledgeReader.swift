import Foundation
import ParleyCore

/// Reads a channel rule's `knowledge: {paths, top_k, min_score, faq, faq_min_similarity}`, and
/// the FAQ file it names (a list of `{questions: [...], answer: ...}`).
enum KnowledgeReader {
    static let keys = ["paths", "top_k", "min_score", "faq", "faq_min_similarity"]

    static func read(_ node: ConfigNode) throws -> KnowledgePolicy {
        let map = try node.mapping(keys: keys)
        let pathsNode = try map.required("paths")
        let paths = try pathsNode.stringList()
        guard !paths.isEmpty, paths.allSatisfy({ !$0.isEmpty }) else {
            throw pathsNode.invalid("give one or more folders or files of Markdown or plain text")
        }
        var policy = KnowledgePolicy(paths: paths)
        if let topK = map["top_k"] { policy.topK = try topK.int(in: 1...20) }
        if let minScore = map["min_score"] { policy.minScore = try minScore.double(in: 0...1000) }
        if let faq = map["faq"] {
            policy.faq = try readFAQ(faq, minSimilarity: try map["faq_min_similarity"]?.double(in: 0.1...1) ?? 0.6)
        }
        return policy
    }

    private static func readFAQ(_ node: ConfigNode, minSimilarity: Double) throws -> FAQ {
        let file = try node.nonEmptyString()
        let root = try node.document(at: file) { "cannot read the FAQ file \(file) (\($0))" }
        let entries = try root.list().map { entry in
            let map = try entry.mapping(keys: ["questions", "answer"])
            let questions = try map.required("questions").stringList()
            guard !questions.isEmpty else { throw try map.required("questions").invalid("give at least one way of asking") }
            return FAQ.Entry(questions: questions, answer: try map.required("answer").nonEmptyString())
        }
        return FAQ(entries: entries, minSimilarity: minSimilarity)
    }
}
