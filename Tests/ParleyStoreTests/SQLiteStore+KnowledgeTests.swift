import Foundation
import ParleyCore
import ParleyStore
import Testing

@Suite struct SQLiteStoreKnowledgeTests {
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    static func store() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: ":memory:")
        try await store.indexKnowledge(root: "docs", path: "docs/billing.md", modified: date, size: 10, passages: [
            KnowledgePassage(source: "docs/billing.md", headings: ["Billing", "Refunds"], text: "Money back within thirty days of a payment."),
            KnowledgePassage(source: "docs/billing.md", headings: ["Billing", "Invoices"], text: "Invoices are emailed after each payment."),
        ])
        try await store.indexKnowledge(root: "other", path: "other/x.md", modified: date, size: 5, passages: [
            KnowledgePassage(source: "other/x.md", headings: ["Refunds elsewhere"], text: "Refunds refunds refunds."),
        ])
        return store
    }

    @Test func searchRanksByBM25WithinTheRootsAsked() async throws {
        let store = try await Self.store()
        let found = try await store.search("how do I get a refund of my payment?", in: ["docs"], limit: 5)
        #expect(found.map(\.title) == ["Billing › Refunds", "Billing › Invoices"], "the heading weighs; other roots are not searched")
        #expect(found[0].score > found[1].score && found[0].coverage > found[1].coverage)
        #expect(try await store.search("refunds", in: ["docs", "other"], limit: 1).map(\.source) == ["other/x.md"])
    }

    @Test func hostileQueriesAreWordsNotSyntax() async throws {
        let store = try await Self.store()
        for query in ["\"", "refund\" OR \"x", "NEAR(refund payment)", "*", "refund AND NOT payment", "-- ;DROP TABLE knowledge_file"] {
            _ = try await store.search(query, in: ["docs"], limit: 3)
        }
        #expect(try await store.search("?!", in: ["docs"], limit: 3).isEmpty)
        #expect(try await store.knowledgeFiles(under: "docs").count == 1)
    }

    @Test func reindexingAFileReplacesItsPassagesAndRemovingForgetsIt() async throws {
        let store = try await Self.store()
        try await store.indexKnowledge(root: "docs", path: "docs/billing.md", modified: Self.date + 60, size: 11, passages: [
            KnowledgePassage(source: "docs/billing.md", headings: ["Billing"], text: "Only invoices now."),
        ])
        #expect(try await store.search("money back", in: ["docs"], limit: 5).isEmpty)
        #expect(try await store.knowledgeFiles(under: "docs")["docs/billing.md"]?.size == 11)
        try await store.removeKnowledge(root: "docs", path: "docs/billing.md")
        #expect(try await store.search("invoices", in: ["docs"], limit: 5).isEmpty)
        #expect(try await store.knowledgeFiles(under: "docs").isEmpty)
    }
}
