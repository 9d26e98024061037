import Foundation
import ParleyStore
import Testing

@Suite struct SQLiteStoreSTSTests {
    @Test func stsPoliciesAreKeptByHostAndReplaced() async throws {
        let store = try SQLiteStore(path: ":memory:")
        #expect(try await store.stsPolicy(for: "irc.example.net") == nil)
        let expires = Date(timeIntervalSince1970: 2_000_000_000)
        try await store.saveSTSPolicy(for: "IRC.example.net", port: 6697, expires: expires)
        let first = try #require(try await store.stsPolicy(for: "irc.example.net"))
        #expect(first.port == 6697 && first.expires == expires)
        try await store.saveSTSPolicy(for: "irc.example.net", port: 7000, expires: expires)
        #expect(try await store.stsPolicy(for: "irc.example.net")?.port == 7000)
        try await store.removeSTSPolicy(for: "irc.example.net")
        #expect(try await store.stsPolicy(for: "irc.example.net") == nil)
    }
}
