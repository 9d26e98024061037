import Foundation
import GRDB

/// Plugins' keys and values, one namespace per plugin name.
extension SQLiteStore {
    public func pluginValue(plugin: String, key: String) async throws -> String? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM plugin_value WHERE plugin = ? AND key = ?", arguments: [plugin, key])
        }
    }

    /// Sets `key`, or removes it when `value` is nil. A value with an `owner` (the network and
    /// id of the person it is about) goes when that person asks to be forgotten.
    public func setPluginValue(_ value: String?, plugin: String, key: String, owner: (network: String, id: String)? = nil) async throws {
        try await database.write { db in
            if let value {
                try db.execute(
                    sql: """
                        INSERT INTO plugin_value (plugin, key, value, owner_network, owner_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT(plugin, key) DO UPDATE SET value = excluded.value, owner_network = excluded.owner_network,
                            owner_id = excluded.owner_id, updated_at = excluded.updated_at
                        """,
                    arguments: [plugin, key, value, owner?.network, owner?.id, Date().timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM plugin_value WHERE plugin = ? AND key = ?", arguments: [plugin, key])
            }
        }
    }

    /// Removes every plugin's values owned by the person; returns how many went.
    @discardableResult
    public func forgetPluginValues(ownerNetwork: String, ownerID: String) async throws -> Int {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM plugin_value WHERE owner_network = ? AND owner_id = ?", arguments: [ownerNetwork, ownerID])
            return db.changesCount
        }
    }

    /// The plugin's keys starting with `prefix`, sorted, at most `limit`.
    public func pluginKeys(plugin: String, prefix: String, limit: Int) async throws -> [String] {
        try await database.read { db in
            // A range on the primary key instead of LIKE, which would read `%` and `_` in the prefix.
            try String.fetchAll(
                db, sql: "SELECT key FROM plugin_value WHERE plugin = ? AND key >= ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?",
                arguments: [plugin, prefix, prefix.unicodeScalars.count, prefix, limit])
        }
    }
}
