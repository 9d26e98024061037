public import ParleyCore
public import Foundation
import GRDB

/// Rolling summaries per conversation and notes per person, beside the transcripts; edits and
/// redactions of the lines they were made from.
extension SQLiteStore {
    public func summary(of session: SessionKey) async throws -> ConversationSummary? {
        let key = Self.key(session)
        return try await database.read { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT text, users, through_at FROM conversation_summary WHERE session = ?", arguments: [key])
            else { return nil }
            let users: String = row["users"]
            let through: Double = row["through_at"]
            return ConversationSummary(
                text: row["text"],
                users: Set(users.split(separator: Self.separator).map { UserID(String($0)) }),
                through: Date(timeIntervalSince1970: through))
        }
    }

    public func saveSummary(_ summary: ConversationSummary, of session: SessionKey) async throws {
        let key = Self.key(session)
        let users = summary.users.map(\.rawValue).sorted().joined(separator: String(Self.separator))
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO conversation_summary (session, network, text, users, through_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (session) DO UPDATE SET text = excluded.text, users = excluded.users, through_at = excluded.through_at
                    """,
                arguments: [key, session.channel.network.rawValue, summary.text, users, summary.through.timeIntervalSince1970])
        }
    }

    public func edit(_ message: MessageID, in channel: ChannelKey, by author: UserID, text: String) async throws -> Int {
        try await database.write { db in
            try Self.dropSummaries(covering: message, in: channel, db: db)
            try db.execute(
                sql: """
                    UPDATE context_entry SET text = ?
                    WHERE network = ? AND message_id = ? AND role = 'user' AND speaker = ? AND substr(session, 1, ?) = ?
                    """,
                arguments: [text, channel.network.rawValue, message.rawValue, author.rawValue] + Self.channelPrefix(channel))
            return db.changesCount
        }
    }

    public func redact(_ message: MessageID, in channel: ChannelKey) async throws -> Int {
        try await database.write { db in
            try Self.dropSummaries(covering: message, in: channel, db: db)
            try db.execute(
                sql: "DELETE FROM context_entry WHERE network = ? AND message_id = ? AND substr(session, 1, ?) = ?",
                arguments: [channel.network.rawValue, message.rawValue] + Self.channelPrefix(channel))
            return db.changesCount
        }
    }

    public func notes(of user: UserID, on network: NetworkID) async throws -> [PersonNote] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT text, created_at FROM person_note WHERE network = ? AND user = ? ORDER BY id",
                arguments: [network.rawValue, user.rawValue]
            ).map { row in
                let time: Double = row["created_at"]
                return PersonNote(text: row["text"], time: Date(timeIntervalSince1970: time))
            }
        }
    }

    public func addNote(_ note: PersonNote, for user: UserID, on network: NetworkID) async throws {
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO person_note (network, user, text, created_at) VALUES (?, ?, ?, ?)",
                arguments: [network.rawValue, user.rawValue, note.text, note.time.timeIntervalSince1970])
        }
    }

    public func removeNotes(of user: UserID, on network: NetworkID, containing text: String) async throws -> Int {
        try await database.write { db in
            // instr on lower(): LIKE would treat the person's % and _ as wildcards.
            try db.execute(
                sql: "DELETE FROM person_note WHERE network = ? AND user = ? AND instr(lower(text), lower(?)) > 0",
                arguments: [network.rawValue, user.rawValue, text])
            return db.changesCount
        }
    }

    /// A forget-me's part here: the person's notes, and every summary made from their lines.
    static func forgetMemory(of user: UserID, on network: NetworkID, in db: Database) throws {
        try db.execute(
            sql: "DELETE FROM person_note WHERE network = ? AND user = ?", arguments: [network.rawValue, user.rawValue])
        let summaries = try Row.fetchAll(
            db, sql: "SELECT session, users FROM conversation_summary WHERE network = ?", arguments: [network.rawValue])
        for row in summaries {
            let users: String = row["users"]
            guard users.split(separator: separator).contains(where: { $0 == user.rawValue }) else { continue }
            let session: String = row["session"]
            try db.execute(sql: "DELETE FROM conversation_summary WHERE session = ?", arguments: [session])
        }
    }

    /// Drops the summaries that were made from `message`'s lines (those made after them).
    private static func dropSummaries(covering message: MessageID, in channel: ChannelKey, db: Database) throws {
        try db.execute(
            sql: """
                DELETE FROM conversation_summary WHERE EXISTS (
                    SELECT 1 FROM context_entry e
                    WHERE e.session = conversation_summary.session AND e.network = ? AND e.message_id = ?
                      AND e.created_at <= conversation_summary.through_at AND substr(e.session, 1, ?) = ?)
                """,
            arguments: [channel.network.rawValue, message.rawValue] + channelPrefix(channel))
    }

    /// The start every session key of `channel` shares, and its length, for `substr(session, 1, ?) = ?`.
    private static func channelPrefix(_ channel: ChannelKey) -> StatementArguments {
        let prefix = channel.network.rawValue + String(separator) + channel.channel + String(separator)
        return [prefix.unicodeScalars.count, prefix]
    }

}
