import GRDB

/// The database schema, as migrations applied in order. A released migration never changes;
/// a new one is appended.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: context entries and moderation log") { db in
            try db.execute(sql: """
                CREATE TABLE context_entry (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    session TEXT NOT NULL,
                    network TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
                    speaker TEXT,
                    speaker_name TEXT NOT NULL,
                    addressee TEXT,
                    text TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX context_entry_by_session ON context_entry(session, id);
                CREATE INDEX context_entry_by_speaker ON context_entry(network, speaker);
                CREATE INDEX context_entry_by_addressee ON context_entry(network, addressee);
                CREATE INDEX context_entry_by_time ON context_entry(created_at);
                CREATE TABLE moderation_event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time REAL NOT NULL,
                    network TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    user TEXT,
                    hook TEXT NOT NULL,
                    direction TEXT NOT NULL,
                    verdict TEXT NOT NULL,
                    reason TEXT NOT NULL
                );
                CREATE INDEX moderation_event_by_time ON moderation_event(time);
                """)
        }
        migrator.registerMigration("v2: IRC strict transport security policies") { db in
            try db.execute(sql: """
                CREATE TABLE irc_sts_policy (
                    host TEXT PRIMARY KEY NOT NULL,
                    port INTEGER NOT NULL,
                    expires_at REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3: Matrix sync state") { db in
            try db.execute(sql: """
                CREATE TABLE matrix_account (
                    account TEXT PRIMARY KEY NOT NULL,
                    since TEXT,
                    user_id TEXT,
                    device_id TEXT,
                    access_token TEXT
                );
                CREATE TABLE matrix_event (
                    account TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    room_id TEXT NOT NULL,
                    event_json TEXT,
                    handled INTEGER NOT NULL DEFAULT 0,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (account, event_id)
                );
                CREATE INDEX matrix_event_by_state ON matrix_event (account, handled, updated_at);
                CREATE TABLE matrix_room_flag (
                    account TEXT NOT NULL,
                    room_id TEXT NOT NULL,
                    flag TEXT NOT NULL,
                    PRIMARY KEY (account, room_id, flag)
                );
                """)
        }
        migrator.registerMigration("v4: plugin keys and values") { db in
            try db.execute(sql: """
                CREATE TABLE plugin_value (
                    plugin TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    owner_network TEXT,
                    owner_id TEXT,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (plugin, key)
                ) WITHOUT ROWID;
                CREATE INDEX plugin_value_by_owner ON plugin_value (owner_network, owner_id);
                """)
        }
        migrator.registerMigration("v5: admin state") { db in
            try db.execute(sql: """
                CREATE TABLE admin_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    json TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v6: knowledge passages (FTS5)") { db in
            try db.execute(sql: """
                CREATE TABLE knowledge_file (
                    root TEXT NOT NULL,
                    path TEXT NOT NULL,
                    modified REAL NOT NULL,
                    size INTEGER NOT NULL,
                    PRIMARY KEY (root, path)
                ) WITHOUT ROWID;
                CREATE VIRTUAL TABLE knowledge_passage USING fts5(
                    headings, body, root UNINDEXED, path UNINDEXED, tokenize = 'porter unicode61'
                );
                """)
        }
        migrator.registerMigration("v7: helpdesk tickets") { db in
            try db.execute(sql: """
                CREATE TABLE ticket (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    network TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    direct INTEGER NOT NULL,
                    customer TEXT NOT NULL,
                    customer_name TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    transcript TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('open', 'claimed', 'closed')),
                    staff TEXT,
                    opened_at REAL NOT NULL,
                    claimed_at REAL,
                    closed_at REAL
                );
                CREATE INDEX ticket_by_state ON ticket(state);
                """)
        }
        migrator.registerMigration("v8: message ids, summaries, notes") { db in
            try db.execute(sql: """
                ALTER TABLE context_entry ADD COLUMN message_id TEXT;
                CREATE INDEX context_entry_by_message ON context_entry(network, message_id);
                CREATE TABLE conversation_summary (
                    session TEXT PRIMARY KEY NOT NULL,
                    network TEXT NOT NULL,
                    text TEXT NOT NULL,
                    users TEXT NOT NULL,
                    through_at REAL NOT NULL
                );
                CREATE TABLE person_note (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    network TEXT NOT NULL,
                    user TEXT NOT NULL,
                    text TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX person_note_by_user ON person_note(network, user);
                """)
        }
        migrator.registerMigration("v9: Matrix encryption state") { db in
            // libolm pickles (encrypted with the configured pickle key) and what goes with them.
            try db.execute(sql: """
                CREATE TABLE matrix_crypto (
                    account TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (account, kind, key)
                );
                """)
        }
        return migrator
    }
}
