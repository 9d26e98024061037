import ParleyCore
public import ParleyPlugins

/// A plugin store in memory: for plugin tests and `parley plugins test`, which must leave no
/// trace.
public final class MemoryPluginStore: PluginStore {
    private struct Item {
        var value: String
        var owner: PluginValueOwner?
    }

    private let items = Locked<[PluginName: [String: Item]]>([:])

    public init() {}

    public func value(for key: String, plugin: PluginName) async throws -> String? {
        items.withLock { $0[plugin]?[key]?.value }
    }

    public func set(_ value: String?, for key: String, plugin: PluginName, owner: PluginValueOwner?) async throws {
        items.withLock { $0[plugin, default: [:]][key] = value.map { Item(value: $0, owner: owner) } }
    }

    public func keys(prefix: String, plugin: PluginName, limit: Int) async throws -> [String] {
        items.withLock { Array(($0[plugin] ?? [:]).keys.filter { $0.hasPrefix(prefix) }.sorted().prefix(limit)) }
    }

    public func forget(_ owner: PluginValueOwner) async throws -> Int {
        items.withLock { items in
            var removed = 0
            for plugin in items.keys {
                let owned = items[plugin]!.filter { $0.value.owner == owner }.map(\.key)
                for key in owned { items[plugin]![key] = nil }
                removed += owned.count
            }
            return removed
        }
    }
}
