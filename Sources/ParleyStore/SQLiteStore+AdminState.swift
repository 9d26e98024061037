import Foundation
import GRDB
public import ParleyCore

/// What admins decided in chat (ignores, pauses), one row of JSON: small, read once at start.
extension SQLiteStore: AdminStateStore {
    public func loadAdminState() async throws -> AdminState {
        let json = try await database.read { db in try String.fetchOne(db, sql: "SELECT json FROM admin_state WHERE id = 1") }
        guard let json else { return AdminState() }
        return try JSONDecoder().decode(AdminState.self, from: Data(json.utf8))
    }

    public func saveAdminState(_ state: AdminState) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(state), as: UTF8.self)
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO admin_state (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json",
                arguments: [json])
        }
    }
}
