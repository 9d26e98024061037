import ParleyPlugins
import ParleyStore

/// Plugins' keys and values in Parley's SQLite store, one namespace per plugin.
struct StoredPluginValues: PluginStore {
    let store: SQLiteStore

    func value(for key: String, plugin: PluginName) async throws -> String? {
        try await store.pluginValue(plugin: plugin.rawValue, key: key)
    }

    func set(_ value: String?, for key: String, plugin: PluginName) async throws {
        try await store.setPluginValue(value, plugin: plugin.rawValue, key: key)
    }

    func keys(prefix: String, plugin: PluginName, limit: Int) async throws -> [String] {
        try await store.pluginKeys(plugin: plugin.rawValue, prefix: prefix, limit: limit)
    }
}
