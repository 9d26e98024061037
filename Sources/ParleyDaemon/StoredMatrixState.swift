import ParleyCore
import ParleyMatrix
import ParleyStore

/// The Matrix connector's state kept in Parley's SQLite store, so that a restart resumes the
/// sync where it was and replays what was not finished.
struct StoredMatrixState: MatrixStateStore {
    let store: SQLiteStore
    /// How many handled event ids are kept (the connector's `rememberedEvents`).
    var remembered = MatrixConnectorConfiguration.defaultRememberedEvents

    func load(account: String) async throws -> MatrixSavedState {
        let rows = try await store.loadMatrixState(account: account, handledLimit: remembered)
        var flags: [MatrixRoomID: Set<MatrixSavedState.RoomFlag>] = [:]
        for row in rows.roomFlags {
            if let flag = MatrixSavedState.RoomFlag(rawValue: row.flag) { flags[MatrixRoomID(row.room), default: []].insert(flag) }
        }
        return MatrixSavedState(
            since: rows.since,
            credentials: rows.login.map { MatrixCredentials(userID: MatrixUserID($0.userID), deviceID: $0.deviceID, accessToken: Secret($0.accessToken)) },
            pending: rows.pending.map {
                MatrixSavedState.Pending(eventID: MatrixEventID($0.eventID), room: MatrixRoomID($0.room), eventJSON: $0.json)
            },
            handled: rows.handled.map(MatrixEventID.init),
            roomFlags: flags)
    }

    func commit(account: String, since: String, admitted: [MatrixSavedState.Pending]) async throws {
        try await store.commitMatrixBatch(account: account, since: since, admitted: admitted.map { ($0.eventID.rawValue, $0.room.rawValue, $0.eventJSON) })
    }

    func settle(account: String, eventIDs: [MatrixEventID]) async throws {
        try await store.settleMatrixEvents(account: account, eventIDs: eventIDs.map(\.rawValue), keep: remembered)
    }

    func saveCredentials(account: String, _ credentials: MatrixCredentials?) async throws {
        try await store.saveMatrixLogin(
            account: account, userID: credentials?.userID.rawValue, deviceID: credentials?.deviceID,
            accessToken: credentials?.accessToken.value)
    }

    func markRoom(account: String, room: MatrixRoomID, _ flag: MatrixSavedState.RoomFlag) async throws {
        try await store.addMatrixRoomFlag(account: account, room: room.rawValue, flag: flag.rawValue)
    }

}

extension StoredMatrixState: MatrixCryptoStore {
    func loadCrypto(account: String) async throws -> [CryptoRecord] {
        try await store.loadMatrixCrypto(account: account).compactMap { row in
            CryptoRecord.Kind(rawValue: row.kind).map { CryptoRecord(kind: $0, key: row.key, value: row.value) }
        }
    }

    func saveCrypto(account: String, _ records: [CryptoRecord]) async throws {
        try await store.saveMatrixCrypto(account: account, records.map { (kind: $0.kind.rawValue, key: $0.key, value: $0.value) })
    }
}
