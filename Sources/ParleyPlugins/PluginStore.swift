/// Where plugins keep keys and values: one namespace per plugin in Parley's own store, reached
/// through the protocol (`store.get`, `store.set`, `store.delete`, `store.keys`), for plugins
/// whose manifest asks for the `store` permission.
public protocol PluginStore: Sendable {
    func value(for key: String, plugin: PluginName) async throws -> String?
    /// Sets `key`, or removes it when `value` is nil.
    func set(_ value: String?, for key: String, plugin: PluginName) async throws
    /// The plugin's keys that start with `prefix`, sorted, at most `limit`.
    func keys(prefix: String, plugin: PluginName, limit: Int) async throws -> [String]
}
