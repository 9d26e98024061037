import ParleyCore
import ParleyStore
import Testing

@Suite struct SQLiteStoreAdminStateTests {
    @Test func theAdminStateIsEmptyAtFirstAndKeptWhole() async throws {
        let store = try SQLiteStore(path: ":memory:")
        #expect(try await store.loadAdminState() == AdminState())
        let state = AdminState(
            ignoredAdded: ["spammer*", "account:troll"], ignoredRemoved: ["oldnick"],
            paused: [ChannelKey(network: "libera", channel: "#help"), ChannelKey(network: "matrix", channel: "!r:x")])
        try await store.saveAdminState(state)
        #expect(try await store.loadAdminState() == state)
        try await store.saveAdminState(AdminState())
        #expect(try await store.loadAdminState() == AdminState())
    }
}
