import ParleyCore
public import ParleyPlugins
public import ParleyStore

/// Plugins' keys and values in Parley's SQLite store, one namespace per plugin.
public struct StoredPluginValues: PluginStore {
    let store: SQLiteStore

    public init(store: SQLiteStore) {
        self.store = store
    }

    public func value(for key: String, plugin: PluginName) async throws -> String? {
        try await store.pluginValue(plugin: plugin.rawValue, key: key)
    }

    public func set(_ value: String?, for key: String, plugin: PluginName, owner: PluginValueOwner?) async throws {
        try await store.setPluginValue(value, plugin: plugin.rawValue, key: key, owner: owner.map { ($0.network.rawValue, $0.user.rawValue) })
    }

    public func forget(_ owner: PluginValueOwner) async throws -> Int {
        try await store.forgetPluginValues(ownerNetwork: owner.network.rawValue, ownerID: owner.user.rawValue)
    }

    public func keys(prefix: String, plugin: PluginName, limit: Int) async throws -> [String] {
        try await store.pluginKeys(plugin: plugin.rawValue, prefix: prefix, limit: limit)
    }
}
