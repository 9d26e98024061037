public import ParleyCore
public import Foundation
import GRDB

/// Parley's storage in one SQLite file: conversation contexts and the moderation log.
///
/// Writes go through one serial queue (GRDB's `DatabaseQueue`, in WAL mode), so the store may
/// be used from any task.
public final class SQLiteStore: ConversationStore {
    let database: DatabaseQueue
    public let path: String
    public let retention: Retention

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// `":memory:"` keeps everything in memory.
    public init(path: String, retention: Retention = Retention()) throws {
        self.path = path
        self.retention = retention
        do {
            if path == ":memory:" {
                database = try DatabaseQueue()
            } else {
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                var configuration = Configuration()
                configuration.prepareDatabase { db in
                    // Deleted rows are overwritten, not left in free pages (forget-me, retention).
                    try db.execute(sql: "PRAGMA secure_delete = ON")
                    // In WAL mode a commit then reaches the log without an fsync of its own (the
                    // checkpoints sync): it survives the process being killed, and a power cut
                    // may take the last commits back — which replays a Matrix event whose reply
                    // the homeserver then recognises by its transaction id. One fsync per
                    // transcript line was a tenth of the daemon's CPU in an IRC burst.
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                }
                configuration.busyMode = .timeout(5)
                database = try DatabaseQueue(path: path, configuration: configuration)
                try database.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                }
                // Transcripts and a Matrix access token live here: readable by the owner only.
                // (SQLite gives the -wal and -shm files the database file's mode.)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            }
            try Schema.migrator.migrate(database)
        } catch {
            throw StoreError(path: path, detail: "\(error)")
        }
    }

    /// Between the fields of a session's key: U+001F, which no network allows in a channel name
    /// or user id, so two sessions never share a key.
    static let separator: Character = "\u{1F}"

    /// The key a session is stored under (its fields joined with `separator`).
    static func key(_ session: SessionKey) -> String {
        [
            session.channel.network.rawValue, session.channel.channel,
            session.user?.rawValue ?? "", session.thread?.rawValue ?? "",
        ].joined(separator: String(separator))
    }

    public func entries(of session: SessionKey, limit: Int) async throws -> [ContextEntry] {
        let key = Self.key(session)
        return try await database.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT role, speaker, speaker_name, addressee, text, created_at, message_id FROM context_entry
                    WHERE session = ? ORDER BY id DESC LIMIT ?
                    """,
                arguments: [key, limit])
            return rows.reversed().map(Self.contextEntry(from:))
        }
    }

    private static func contextEntry(from row: Row) -> ContextEntry {
        let role: String = row["role"]
        let speaker: String? = row["speaker"]
        let addressee: String? = row["addressee"]
        let createdAt: Double = row["created_at"]
        let speakerName: String = row["speaker_name"]
        let text: String = row["text"]
        let messageID: String? = row["message_id"]
        return ContextEntry(
            role: ContextEntry.Role(rawValue: role) ?? .user,
            speaker: speaker.map { UserID($0) },
            speakerName: speakerName,
            addressee: addressee.map { UserID($0) },
            text: text,
            time: Date(timeIntervalSince1970: createdAt),
            messageID: messageID.map { MessageID($0) })
    }

    public func append(_ entry: ContextEntry, to session: SessionKey) async throws {
        try await append(contentsOf: [StoredLine(entry, of: session)])
    }

    /// One transaction for all the lines: the write-behind queue hands over what a burst queued.
    public func append(contentsOf lines: [StoredLine]) async throws {
        let maxEntries = retention.maxEntriesPerSession
        try await database.write { db in
            // The statements of the store's busiest write are prepared once per connection.
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO context_entry (session, network, role, speaker, speaker_name, addressee, text, created_at, message_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            var sessions: Set<String> = []
            for line in lines {
                let (entry, session) = (line.entry, line.session)
                let key = Self.key(session)
                try insert.execute(arguments: [
                    key, session.channel.network.rawValue, entry.role.rawValue, entry.speaker?.rawValue,
                    entry.speakerName, entry.addressee?.rawValue, entry.text, entry.time.timeIntervalSince1970,
                    entry.messageID?.rawValue,
                ])
                sessions.insert(key)
            }
            guard let maxEntries else { return }
            let trim = try db.cachedStatement(
                sql: """
                    DELETE FROM context_entry WHERE session = ? AND id <= (
                        SELECT id FROM context_entry WHERE session = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                    """)
            for key in sessions { try trim.execute(arguments: [key, key, maxEntries]) }
        }
    }

    public func clear(_ session: SessionKey) async throws {
        let key = Self.key(session)
        try await database.write { db in
            try db.execute(sql: "DELETE FROM context_entry WHERE session = ?", arguments: [key])
            try db.execute(sql: "DELETE FROM conversation_summary WHERE session = ?", arguments: [key])
        }
    }

    public func forget(_ user: UserID, on network: NetworkID) async throws -> Int {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM context_entry WHERE network = ? AND (speaker = ? OR addressee = ?)",
                arguments: [network.rawValue, user.rawValue, user.rawValue])
            let removed = db.changesCount
            try Self.forgetMemory(of: user, on: network, in: db)
            // Their tickets stay as records, without their words or their name.
            try db.execute(
                sql: "UPDATE ticket SET transcript = '[]', customer_name = '(forgotten)' WHERE network = ? AND customer = ?",
                arguments: [network.rawValue, user.rawValue])
            return removed
        }
    }

    /// Moves everything in the write-ahead log into the database file and empties the log, so
    /// that deleted text (overwritten there by `secure_delete`) is nowhere on disk.
    public func erase() async throws {
        guard path != ":memory:" else { return }
        try await database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    public func record(_ event: ModerationEvent) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO moderation_event (time, network, channel, user, hook, direction, verdict, reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    event.time.timeIntervalSince1970, event.channel.network.rawValue, event.channel.channel,
                    event.user?.rawValue, event.hook, event.direction.rawValue, event.verdict, event.reason,
                ])
        }
    }

    /// Deletes what the retention policy no longer keeps, and what a channel keeps for less
    /// (`channelMaxAge`: its rule's `retention_days`); returns how many entries went. A summary
    /// goes with the lines it was made from.
    @discardableResult
    public func applyRetention(
        now: Date = Date(), channelMaxAge: @Sendable (ChannelKey) async -> Duration? = { _ in nil }
    ) async throws -> Int {
        let retention = self.retention
        var channelCutoffs: [(session: String, cutoff: Double)] = []
        let sessions = try await database.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT session FROM context_entry")
        }
        for session in sessions {
            let parts = session.split(separator: Self.separator, omittingEmptySubsequences: false)
            guard parts.count >= 2 else { continue }
            let channel = ChannelKey(network: NetworkID(String(parts[0])), channel: String(parts[1]))
            if let maxAge = await channelMaxAge(channel) {
                channelCutoffs.append((session, now.timeIntervalSince1970 - Double(maxAge.components.seconds)))
            }
        }
        let cutoffs = channelCutoffs
        return try await database.write { db in
            var removed = 0
            if let maxAge = retention.maxAge {
                let cutoff = now.timeIntervalSince1970 - Double(maxAge.components.seconds)
                try db.execute(sql: "DELETE FROM context_entry WHERE created_at < ?", arguments: [cutoff])
                removed += db.changesCount
                try db.execute(sql: "DELETE FROM moderation_event WHERE time < ?", arguments: [cutoff])
                try db.execute(sql: "DELETE FROM conversation_summary WHERE through_at < ?", arguments: [cutoff])
            }
            for (session, cutoff) in cutoffs {
                try db.execute(sql: "DELETE FROM context_entry WHERE session = ? AND created_at < ?", arguments: [session, cutoff])
                removed += db.changesCount
                try db.execute(
                    sql: "DELETE FROM conversation_summary WHERE session = ? AND through_at < ?", arguments: [session, cutoff])
            }
            if let maxEntries = retention.maxEntriesPerSession {
                try db.execute(
                    sql: """
                        DELETE FROM context_entry WHERE id IN (
                            SELECT id FROM (
                                SELECT id, ROW_NUMBER() OVER (PARTITION BY session ORDER BY id DESC) AS newest
                                FROM context_entry)
                            WHERE newest > ?)
                        """,
                    arguments: [maxEntries])
                removed += db.changesCount
            }
            return removed
        }
    }

    /// The number of stored context entries, for status and tests.
    public func entryCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM context_entry") ?? 0 }
    }

    /// The stored moderation events, oldest first.
    public func moderationEvents() async throws -> [ModerationEvent] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM moderation_event ORDER BY id").map(Self.moderationEvent(from:))
        }
    }

    private static func moderationEvent(from row: Row) -> ModerationEvent {
        let time: Double = row["time"]
        let network: String = row["network"]
        let user: String? = row["user"]
        let direction: String = row["direction"]
        let channel: String = row["channel"]
        let hook: String = row["hook"]
        let verdict: String = row["verdict"]
        let reason: String = row["reason"]
        return ModerationEvent(
            time: Date(timeIntervalSince1970: time),
            channel: ChannelKey(network: NetworkID(network), channel: channel),
            user: user.map { UserID($0) },
            hook: hook,
            direction: ModerationEvent.Direction(rawValue: direction) ?? .inbound,
            verdict: verdict,
            reason: reason)
    }
}
