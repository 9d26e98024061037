import ParleyStore
import Testing

@Suite struct SQLiteStorePluginsTests {
    @Test func valuesAreKeptPerPluginAndReplaced() async throws {
        let store = try SQLiteStore(path: ":memory:")
        try await store.setPluginValue("one", plugin: "factoids", key: "fact:a")
        try await store.setPluginValue("other", plugin: "remind", key: "fact:a")
        try await store.setPluginValue("two", plugin: "factoids", key: "fact:a")
        #expect(try await store.pluginValue(plugin: "factoids", key: "fact:a") == "two")
        #expect(try await store.pluginValue(plugin: "remind", key: "fact:a") == "other")
        try await store.setPluginValue(nil, plugin: "factoids", key: "fact:a")
        #expect(try await store.pluginValue(plugin: "factoids", key: "fact:a") == nil)
    }

    @Test func keysAreListedByPrefixLiterally() async throws {
        let store = try SQLiteStore(path: ":memory:")
        for key in ["fact:b", "fact:a", "fact%x", "fact_y", "other"] {
            try await store.setPluginValue("v", plugin: "p", key: key)
        }
        #expect(try await store.pluginKeys(plugin: "p", prefix: "fact:", limit: 10) == ["fact:a", "fact:b"])
        #expect(try await store.pluginKeys(plugin: "p", prefix: "fact%", limit: 10) == ["fact%x"])
        #expect(try await store.pluginKeys(plugin: "p", prefix: "", limit: 2) == ["fact%x", "fact:a"])
    }
}

extension SQLiteStorePluginsTests {
    @Test func forgettingAPersonRemovesTheValuesTheyOwnInEveryPlugin() async throws {
        let store = try SQLiteStore(path: ":memory:")
        try await store.setPluginValue("r1", plugin: "remind", key: "remind:1", owner: ("libera", "alice"))
        try await store.setPluginValue("r2", plugin: "remind", key: "remind:2", owner: ("libera", "bob"))
        try await store.setPluginValue("n", plugin: "notes", key: "note:alice", owner: ("libera", "alice"))
        try await store.setPluginValue("fact", plugin: "factoids", key: "fact:x")
        try await store.setPluginValue("other", plugin: "notes", key: "note:alice2", owner: ("oftc", "alice"))
        #expect(try await store.forgetPluginValues(ownerNetwork: "libera", ownerID: "alice") == 2)
        #expect(try await store.pluginValue(plugin: "remind", key: "remind:1") == nil)
        #expect(try await store.pluginValue(plugin: "notes", key: "note:alice") == nil)
        #expect(try await store.pluginValue(plugin: "remind", key: "remind:2") == "r2")
        #expect(try await store.pluginValue(plugin: "factoids", key: "fact:x") == "fact")
        #expect(try await store.pluginValue(plugin: "notes", key: "note:alice2") == "other", "another network's alice")
    }
}
