import Foundation
import Logging
import ParleyCore
@testable import ParleyDaemon
import ParleyStore
import Testing

@Suite struct KnowledgeIndexerTests {
    @Test func onlyChangedFilesAreReadAgainAndGoneOnesAreForgotten() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-kb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "# A\n## One\nFirst text.\n## Two\nSecond text.".write(to: folder.appendingPathComponent("a.md"), atomically: true, encoding: .utf8)
        try "Plain notes about sync.".write(to: folder.appendingPathComponent("sub/b.txt"), atomically: true, encoding: .utf8)
        try "not a document".write(to: folder.appendingPathComponent("c.pdf"), atomically: true, encoding: .utf8)
        try Data([0xFF, 0xFE, 0x00]).write(to: folder.appendingPathComponent("bad.md"))
        let store = try SQLiteStore(path: ":memory:")
        let indexer = KnowledgeIndexer(store: store, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let root = folder.path

        let first = try await indexer.index([root])
        #expect(first.files == 3 && first.indexed == 2 && first.passages == 3)
        #expect(first.skipped.count == 1 && first.skipped[0].contains("bad.md: not readable as UTF-8"))
        #expect(try await store.search("sync notes", in: [root], limit: 3).first?.headings == ["b"])

        let again = try await indexer.index([root])
        #expect(again.indexed == 0, "nothing changed, nothing read")

        try "# A\n## One\nChanged text.".write(to: folder.appendingPathComponent("a.md"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("sub/b.txt"))
        let changed = try await indexer.index([root])
        #expect(changed.indexed == 1 && changed.removed == 1)
        #expect(try await store.search("second", in: [root], limit: 3).isEmpty)
        #expect(try await store.search("sync", in: [root], limit: 3).isEmpty)
        #expect(try await store.search("changed", in: [root], limit: 3).count == 1)

        let missing = try await indexer.index([folder.appendingPathComponent("nowhere").path])
        #expect(missing.skipped.first?.contains("no such file or folder") == true)
    }
}
