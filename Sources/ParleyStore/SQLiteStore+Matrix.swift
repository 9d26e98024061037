import Foundation
import GRDB

/// The Matrix connector's state: login, sync position, events taken and not finished (kept whole
/// for a replay after a crash), events finished (ids only, for a week), and room flags.
extension SQLiteStore {
    /// What `loadMatrixState` returns, in the store's own terms.
    public struct MatrixRows: Sendable {
        public var since: String?
        public var login: (userID: String, deviceID: String, accessToken: String)?
        public var pending: [(eventID: String, room: String, json: String)]
        public var handled: [String]
        public var roomFlags: [(room: String, flag: String)]
    }

    /// How long a handled event id is remembered: longer than any gap a restart can replay.
    static let matrixHandledRetention: TimeInterval = 7 * 24 * 3600

    public func loadMatrixState(account: String, handledLimit: Int) async throws -> MatrixRows {
        try await database.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT * FROM matrix_account WHERE account = ?", arguments: [account])
            var login: (String, String, String)?
            if let row, let user: String = row["user_id"], let device: String = row["device_id"], let token: String = row["access_token"] {
                login = (user, device, token)
            }
            let pending = try Row.fetchAll(
                db, sql: "SELECT event_id, room_id, event_json FROM matrix_event WHERE account = ? AND handled = 0 ORDER BY rowid",
                arguments: [account]
            ).compactMap { row -> (String, String, String)? in
                guard let json: String = row["event_json"] else { return nil }
                return (row["event_id"], row["room_id"], json)
            }
            let handled = try String.fetchAll(
                db, sql: "SELECT event_id FROM (SELECT event_id, updated_at, rowid AS admitted FROM matrix_event WHERE account = ? AND handled = 1 ORDER BY updated_at DESC, rowid DESC LIMIT ?) ORDER BY updated_at, admitted",
                arguments: [account, handledLimit])
            let flags = try Row.fetchAll(db, sql: "SELECT room_id, flag FROM matrix_room_flag WHERE account = ?", arguments: [account])
                .map { (room: $0["room_id"] as String, flag: $0["flag"] as String) }
            return MatrixRows(since: row?["since"], login: login, pending: pending, handled: handled, roomFlags: flags)
        }
    }

    /// Records the events a batch admitted and the position after it, in one transaction.
    public func commitMatrixBatch(account: String, since: String, admitted: [(eventID: String, room: String, json: String)]) async throws {
        let now = Date().timeIntervalSince1970
        try await database.write { db in
            for event in admitted {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO matrix_event (account, event_id, room_id, event_json, handled, updated_at) VALUES (?, ?, ?, ?, 0, ?)",
                    arguments: [account, event.eventID, event.room, event.json, now])
            }
            try db.execute(
                sql: "INSERT INTO matrix_account (account, since) VALUES (?, ?) ON CONFLICT(account) DO UPDATE SET since = excluded.since",
                arguments: [account, since])
        }
    }

    /// Marks events handled (dropping their bodies) and forgets handled ids older than a week,
    /// and the oldest once there are a quarter more than `keep` (pruned down to `keep`).
    public func settleMatrixEvents(account: String, eventIDs: [String], keep: Int = 20_000) async throws {
        let now = Date().timeIntervalSince1970
        try await database.write { db in
            for id in eventIDs {
                try db.execute(
                    sql: """
                        INSERT INTO matrix_event (account, event_id, room_id, event_json, handled, updated_at) VALUES (?, ?, '', NULL, 1, ?)
                        ON CONFLICT(account, event_id) DO UPDATE SET handled = 1, event_json = NULL, updated_at = excluded.updated_at
                        """,
                    arguments: [account, id, now])
            }
            try db.execute(
                sql: "DELETE FROM matrix_event WHERE account = ? AND handled = 1 AND updated_at < ?",
                arguments: [account, now - Self.matrixHandledRetention])
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM matrix_event WHERE account = ? AND handled = 1", arguments: [account]) ?? 0
            if count > keep + keep / 4 {
                try db.execute(
                    sql: """
                        DELETE FROM matrix_event WHERE account = ? AND handled = 1 AND rowid NOT IN
                        (SELECT rowid FROM matrix_event WHERE account = ? AND handled = 1 ORDER BY updated_at DESC, rowid DESC LIMIT ?)
                        """,
                    arguments: [account, account, keep])
            }
        }
    }

    /// Stores a login (or forgets it, with nil) for `account`.
    public func saveMatrixLogin(account: String, userID: String?, deviceID: String?, accessToken: String?) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO matrix_account (account, user_id, device_id, access_token) VALUES (?, ?, ?, ?)
                    ON CONFLICT(account) DO UPDATE SET user_id = excluded.user_id, device_id = excluded.device_id, access_token = excluded.access_token
                    """,
                arguments: [account, userID, deviceID, accessToken])
        }
    }

    public func addMatrixRoomFlag(account: String, room: String, flag: String) async throws {
        try await database.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO matrix_room_flag (account, room_id, flag) VALUES (?, ?, ?)",
                arguments: [account, room, flag])
        }
    }

    /// Every record of the account's encryption state: (kind, key, value).
    public func loadMatrixCrypto(account: String) async throws -> [(kind: String, key: String, value: String)] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, key, value FROM matrix_crypto WHERE account = ? ORDER BY rowid", arguments: [account])
                .map { (kind: $0["kind"], key: $0["key"], value: $0["value"]) }
        }
    }

    /// Writes (or replaces) the records and removes those with a nil value, in one transaction.
    public func saveMatrixCrypto(account: String, _ records: [(kind: String, key: String, value: String?)]) async throws {
        let now = Date().timeIntervalSince1970
        try await database.write { db in
            for record in records {
                if let value = record.value {
                    try db.execute(
                        sql: """
                            INSERT INTO matrix_crypto (account, kind, key, value, updated_at) VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT(account, kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                            """,
                        arguments: [account, record.kind, record.key, value, now])
                } else {
                    try db.execute(
                        sql: "DELETE FROM matrix_crypto WHERE account = ? AND kind = ? AND key = ?",
                        arguments: [account, record.kind, record.key])
                }
            }
        }
    }
}
