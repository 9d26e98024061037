public import struct Foundation.Date
import GRDB

/// IRC servers' strict transport security policies (IRCv3 `sts`): which host must only be
/// reached over TLS, on which port, until when. Kept so that a restart never falls back to
/// plaintext while a policy holds.
extension SQLiteStore {
    /// The port and expiry stored for `host` (lowercased), if any.
    public func stsPolicy(for host: String) async throws -> (port: Int, expires: Date)? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT port, expires_at FROM irc_sts_policy WHERE host = ?", arguments: [host.lowercased()])
                .map { (port: $0["port"], expires: Date(timeIntervalSince1970: $0["expires_at"])) }
        }
    }

    public func saveSTSPolicy(for host: String, port: Int, expires: Date) async throws {
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO irc_sts_policy (host, port, expires_at) VALUES (?, ?, ?) ON CONFLICT(host) DO UPDATE SET port = excluded.port, expires_at = excluded.expires_at",
                arguments: [host.lowercased(), port, expires.timeIntervalSince1970])
        }
    }

    public func removeSTSPolicy(for host: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM irc_sts_policy WHERE host = ?", arguments: [host.lowercased()])
        }
    }
}
