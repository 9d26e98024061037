import Foundation
public import ParleyCore
public import struct Foundation.Date
import GRDB

/// The operator's documents as passages in an FTS5 index (Porter-stemmed, BM25-ranked, the
/// headings weighing twice the text), by the configured path ("root") they were found under.
extension SQLiteStore: KnowledgeBase {
    /// What is indexed under `root`: each file's modification time and size.
    public func knowledgeFiles(under root: String) async throws -> [String: (modified: Date, size: Int)] {
        try await database.read { db in
            var files: [String: (modified: Date, size: Int)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT path, modified, size FROM knowledge_file WHERE root = ?", arguments: [root]) {
                files[row["path"]] = (Date(timeIntervalSince1970: row["modified"]), row["size"])
            }
            return files
        }
    }

    /// Replaces the passages of one file (in one transaction).
    public func indexKnowledge(root: String, path: String, modified: Date, size: Int, passages: [KnowledgePassage]) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM knowledge_passage WHERE root = ? AND path = ?", arguments: [root, path])
            for passage in passages {
                try db.execute(
                    sql: "INSERT INTO knowledge_passage (headings, body, root, path) VALUES (?, ?, ?, ?)",
                    arguments: [passage.headings.joined(separator: "\u{1F}"), passage.text, root, path])
            }
            try db.execute(
                sql: """
                    INSERT INTO knowledge_file (root, path, modified, size) VALUES (?, ?, ?, ?)
                    ON CONFLICT(root, path) DO UPDATE SET modified = excluded.modified, size = excluded.size
                    """,
                arguments: [root, path, modified.timeIntervalSince1970, size])
        }
    }

    /// Forgets a file that is gone.
    public func removeKnowledge(root: String, path: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM knowledge_passage WHERE root = ? AND path = ?", arguments: [root, path])
            try db.execute(sql: "DELETE FROM knowledge_file WHERE root = ? AND path = ?", arguments: [root, path])
        }
    }

    public func search(_ question: String, in paths: [String], limit: Int) async throws -> [KnowledgePassage] {
        // Any of the question's words, each quoted (so nothing a customer writes is FTS5 syntax).
        let terms = Array(QueryTerms.terms(of: question).prefix(32))
        guard !terms.isEmpty, !paths.isEmpty, limit > 0 else { return [] }
        let match = terms.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " OR ")
        let roots = paths.map { _ in "?" }.joined(separator: ", ")
        return try await database.read { db in
            var arguments: [any DatabaseValueConvertible] = [match]
            arguments += paths
            arguments.append(limit)
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT headings, body, path, -bm25(knowledge_passage, 2.0, 1.0) AS score FROM knowledge_passage
                    WHERE knowledge_passage MATCH ? AND root IN (\(roots))
                    ORDER BY score DESC LIMIT ?
                    """,
                arguments: StatementArguments(arguments)
            ).map { row in
                let headings = (row["headings"] as String).components(separatedBy: "\u{1F}")
                let text: String = row["body"]
                return KnowledgePassage(
                    source: row["path"], headings: headings, text: text, score: row["score"],
                    coverage: QueryTerms.coverage(of: terms, in: headings.joined(separator: " ") + " " + text))
            }
        }
    }
}
