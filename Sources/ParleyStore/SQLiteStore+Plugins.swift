import Foundation
import GRDB

/// Plugins' keys and values, one namespace per plugin name.
extension SQLiteStore {
    public func pluginValue(plugin: String, key: String) async throws -> String? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM plugin_value WHERE plugin = ? AND key = ?", arguments: [plugin, key])
        }
    }

    /// Sets `key`, or removes it when `value` is nil.
    public func setPluginValue(_ value: String?, plugin: String, key: String) async throws {
        try await database.write { db in
            if let value {
                try db.execute(
                    sql: """
                        INSERT INTO plugin_value (plugin, key, value, updated_at) VALUES (?, ?, ?, ?)
                        ON CONFLICT(plugin, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                        """,
                    arguments: [plugin, key, value, Date().timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM plugin_value WHERE plugin = ? AND key = ?", arguments: [plugin, key])
            }
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
