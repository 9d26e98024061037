public import ParleyCore

/// Where plugins keep keys and values: one namespace per plugin in Parley's own store, reached
/// through the protocol (`store.get`, `store.set`, `store.delete`, `store.keys`), for plugins
/// whose manifest asks for the `store` permission.
public protocol PluginStore: Sendable {
    func value(for key: String, plugin: PluginName) async throws -> String?
    /// Sets `key`, or removes it when `value` is nil; a value with an `owner` is about that
    /// person, and goes when they ask to be forgotten.
    func set(_ value: String?, for key: String, plugin: PluginName, owner: PluginValueOwner?) async throws
    /// The plugin's keys that start with `prefix`, sorted, at most `limit`.
    func keys(prefix: String, plugin: PluginName, limit: Int) async throws -> [String]
    /// Removes every value owned by `owner`, in every plugin's namespace; how many went.
    func forget(_ owner: PluginValueOwner) async throws -> Int
}

/// The person a stored value is about.
public struct PluginValueOwner: Sendable, Hashable {
    public var network: NetworkID
    public var user: UserID

    public init(network: NetworkID, user: UserID) {
        self.network = network
        self.user = user
    }
}
