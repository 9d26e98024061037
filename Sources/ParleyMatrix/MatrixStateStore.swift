public import ParleyCore

/// Where the Matrix connector keeps what must survive a restart: its login, the sync position,
/// the events it took and has not finished with, the events it has finished with, and a few
/// facts about rooms. One `account` (network and user) per connector.
public protocol MatrixStateStore: Sendable {
    func load(account: String) async throws -> MatrixSavedState
    /// In one transaction: the events a batch admitted, and the sync position after the batch.
    func commit(account: String, since: String, admitted: [MatrixSavedState.Pending]) async throws
    /// The bot is done with these events: they are handled, and never answered again.
    func settle(account: String, eventIDs: [MatrixEventID]) async throws
    func saveCredentials(account: String, _ credentials: MatrixCredentials?) async throws
    func markRoom(account: String, room: MatrixRoomID, _ flag: MatrixSavedState.RoomFlag) async throws
}

/// What a `MatrixStateStore` gives back at start.
public struct MatrixSavedState: Sendable {
    /// An event taken from a sync and not yet settled, kept whole (as JSON) so that it can be
    /// handed to the bot again after a restart.
    public struct Pending: Sendable, Hashable {
        public var eventID: MatrixEventID
        public var room: MatrixRoomID
        public var eventJSON: String

        public init(eventID: MatrixEventID, room: MatrixRoomID, eventJSON: String) {
            self.eventID = eventID
            self.room = room
            self.eventJSON = eventJSON
        }
    }

    public enum RoomFlag: String, Sendable, CaseIterable {
        /// A direct (one-to-one) room.
        case direct
        /// The room is encrypted and has been told the bot cannot read it.
        case encryptionNoticeSent = "encryption_notice_sent"
    }

    public var since: String?
    public var credentials: MatrixCredentials?
    public var pending: [Pending]
    /// The most recently handled event ids, oldest first.
    public var handled: [MatrixEventID]
    public var roomFlags: [MatrixRoomID: Set<RoomFlag>]

    public init(
        since: String? = nil, credentials: MatrixCredentials? = nil, pending: [Pending] = [], handled: [MatrixEventID] = [],
        roomFlags: [MatrixRoomID: Set<RoomFlag>] = [:]
    ) {
        self.since = since
        self.credentials = credentials
        self.pending = pending
        self.handled = handled
        self.roomFlags = roomFlags
    }
}

/// A login's result, kept so that a restart reuses the device instead of logging in again
/// (homeservers rate-limit and lock out repeated logins).
public struct MatrixCredentials: Sendable, Hashable {
    public var userID: MatrixUserID
    public var deviceID: String
    public var accessToken: Secret

    public init(userID: MatrixUserID, deviceID: String, accessToken: Secret) {
        self.userID = userID
        self.deviceID = deviceID
        self.accessToken = accessToken
    }
}
