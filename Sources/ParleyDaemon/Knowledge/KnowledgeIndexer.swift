import Foundation
import Logging
import ParleyCore
import ParleyStore

/// Keeps the knowledge index in step with the operator's files: at start, on reload and on
/// `parley knowledge index`. A file whose size and modification time are unchanged is not read
/// again; one that is gone is forgotten.
struct KnowledgeIndexer: Sendable {
    let store: SQLiteStore
    let logger: Logger

    /// Markdown and plain text; anything else under a folder is passed over.
    static let extensions: Set<String> = ["md", "markdown", "txt", "text"]
    /// A file larger than this is not a document; it is skipped with a warning.
    static let maxFileBytes = 4 << 20
    /// The most files read under one path.
    static let maxFiles = 10_000

    struct Report: Sendable, Equatable {
        var files = 0
        var indexed = 0
        var passages = 0
        var removed = 0
        var skipped: [String] = []
    }

    /// Brings the index of every path in `roots` up to date.
    func index(_ roots: [String]) async throws -> Report {
        var report = Report()
        for root in Set(roots).sorted() {
            let stored = try await store.knowledgeFiles(under: root)
            var seen = Set<String>()
            for file in Self.files(under: root, skipped: &report.skipped) {
                seen.insert(file.path)
                report.files += 1
                if let known = stored[file.path], known.size == file.size,
                   abs(known.modified.timeIntervalSince(file.modified)) < 0.001 { continue }
                guard file.size <= Self.maxFileBytes else {
                    report.skipped.append("\(file.path): larger than \(Self.maxFileBytes >> 20) MiB")
                    continue
                }
                guard let data = FileManager.default.contents(atPath: file.path),
                      let text = String(data: data, encoding: .utf8) else {
                    report.skipped.append("\(file.path): not readable as UTF-8 text")
                    continue
                }
                let url = URL(fileURLWithPath: file.path)
                let passages = PassageSplitter.passages(
                    of: text, source: file.path, title: url.deletingPathExtension().lastPathComponent,
                    markdown: url.pathExtension.lowercased().hasPrefix("m"))
                try await store.indexKnowledge(root: root, path: file.path, modified: file.modified, size: file.size, passages: passages)
                report.indexed += 1
                report.passages += passages.count
            }
            for path in stored.keys where !seen.contains(path) {
                try await store.removeKnowledge(root: root, path: path)
                report.removed += 1
            }
        }
        for problem in report.skipped { logger.warning("knowledge file skipped", metadata: ["knowledge.file": "\(problem)"]) }
        logger.info("knowledge indexed", metadata: [
            "knowledge.files": "\(report.files)", "knowledge.reindexed": "\(report.indexed)",
            "knowledge.passages": "\(report.passages)", "knowledge.removed": "\(report.removed)"])
        return report
    }

    /// The documents at `root`: the file itself, or the documents in the folder and below it,
    /// in a stable order.
    static func files(under root: String, skipped: inout [String]) -> [(path: String, modified: Date, size: Int)] {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: root, isDirectory: &isFolder) else {
            skipped.append("\(root): no such file or folder")
            return []
        }
        var paths: [String] = []
        if isFolder.boolValue {
            let enumerator = manager.enumerator(atPath: root)
            while let relative = enumerator?.nextObject() as? String, paths.count < maxFiles {
                if extensions.contains(URL(fileURLWithPath: relative).pathExtension.lowercased()) {
                    paths.append((root as NSString).appendingPathComponent(relative))
                }
            }
        } else {
            paths = [root]
        }
        return paths.sorted().compactMap { path in
            guard let attributes = try? manager.attributesOfItem(atPath: path),
                  (attributes[.type] as? FileAttributeType) == .typeRegular else { return nil }
            return (path, attributes[.modificationDate] as? Date ?? .distantPast, (attributes[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}
