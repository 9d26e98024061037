import Foundation
import ParleyCore

/// The endpoints Parley uses, typed.
extension MatrixClient {
    struct Login: Decodable, Sendable {
        var userID: MatrixUserID
        var accessToken: String
        var deviceID: String
        enum CodingKeys: String, CodingKey {
            case userID = "user_id", accessToken = "access_token", deviceID = "device_id"
        }
    }

    struct WhoAmI: Decodable, Sendable {
        var userID: MatrixUserID
        var deviceID: String?
        enum CodingKeys: String, CodingKey { case userID = "user_id", deviceID = "device_id" }
    }

    struct EventID: Decodable, Sendable {
        var eventID: MatrixEventID
        enum CodingKeys: String, CodingKey { case eventID = "event_id" }
    }

    struct RoomID: Decodable, Sendable {
        var roomID: MatrixRoomID
        enum CodingKeys: String, CodingKey { case roomID = "room_id" }
    }

    /// A page of `/messages`, newest first when paginating backwards.
    struct MessagesPage: Decodable, Sendable {
        var chunk: [Lenient<MatrixEvent>]
        var end: String?
    }

    struct Empty: Decodable, Sendable {}

    func login(user: MatrixUserID, password: Secret, deviceName: String) async throws -> Login {
        try await call("POST", MatrixPath.client("login"), body: .object([
            "type": .string("m.login.password"),
            "identifier": .object(["type": .string("m.id.user"), "user": .string(user.rawValue)]),
            "password": .string(password.value),
            "initial_device_display_name": .string(deviceName),
        ]), authenticated: false)
    }

    /// The server's count of this device's unclaimed one-time keys, by algorithm.
    struct KeyCounts: Decodable, Sendable {
        var oneTimeKeyCounts: [String: Int]
        enum CodingKeys: String, CodingKey { case oneTimeKeyCounts = "one_time_key_counts" }
    }

    /// Publishes device, one-time and fallback keys (`DeviceKeys.upload` makes the body).
    func uploadKeys(_ body: JSONValue) async throws -> KeyCounts {
        try await call("POST", MatrixPath.client("keys", "upload"), body: body)
    }

    /// The devices' signed keys of `users` (`device_keys.<user>` objects, as the server gave them).
    func queryKeys(_ users: [MatrixUserID]) async throws -> [MatrixUserID: JSONValue] {
        let answer: JSONValue = try await call("POST", MatrixPath.client("keys", "query"), body: .object([
            "device_keys": .object(Dictionary(uniqueKeysWithValues: users.map { ($0.rawValue, JSONValue.array([])) })),
        ]))
        guard case .object(let byUser)? = answer["device_keys"] else { return [:] }
        return Dictionary(uniqueKeysWithValues: byUser.map { (MatrixUserID($0.key), $0.value) })
    }

    /// One signed one-time key (or fallback key) for each device, where the server has one:
    /// `[user: [device: key object]]`.
    func claimKeys(_ devices: [(user: MatrixUserID, device: String)]) async throws -> [MatrixUserID: [String: JSONValue]] {
        var request: [String: [String: JSONValue]] = [:]
        for (user, device) in devices { request[user.rawValue, default: [:]][device] = .string("signed_curve25519") }
        let answer: JSONValue = try await call("POST", MatrixPath.client("keys", "claim"), body: .object([
            "one_time_keys": .object(request.mapValues { .object($0) }),
        ]))
        var claimed: [MatrixUserID: [String: JSONValue]] = [:]
        guard case .object(let byUser)? = answer["one_time_keys"] else { return [:] }
        for (user, devices) in byUser {
            guard case .object(let byDevice) = devices else { continue }
            for (device, keys) in byDevice {
                if case .object(let entries) = keys, let key = entries.values.first { claimed[MatrixUserID(user), default: [:]][device] = key }
            }
        }
        return claimed
    }

    /// `PUT /sendToDevice/{type}/{txn}`: `messages[user][device] = content`.
    func sendToDevice(type: String, _ messages: [(user: MatrixUserID, device: String, content: JSONValue)], transactionID: String) async throws {
        var byUser: [String: [String: JSONValue]] = [:]
        for message in messages { byUser[message.user.rawValue, default: [:]][message.device] = message.content }
        let _: Empty = try await call(
            "PUT", MatrixPath.client("sendToDevice", type, transactionID), body: .object(["messages": .object(byUser.mapValues { .object($0) })]))
    }

    /// The newest server-side key backup version, or nil when there is none.
    func keyBackupVersion() async throws -> JSONValue? {
        do {
            let version: JSONValue = try await call("GET", MatrixPath.client("room_keys", "version"))
            return version
        } catch let error as MatrixError where error.code == "M_NOT_FOUND" {
            return nil
        }
    }

    /// Starts a key backup version; returns its version.
    func createKeyBackup(algorithm: String, authData: JSONValue) async throws -> String {
        let answer: JSONValue = try await call("POST", MatrixPath.client("room_keys", "version"), body: .object([
            "algorithm": .string(algorithm), "auth_data": authData,
        ]))
        guard let version = answer["version"]?.string else {
            throw MatrixError.malformedResponse(endpoint: "room_keys/version", detail: "no version in \(answer.compactText.prefix(200))")
        }
        return version
    }

    /// Stores room keys (`{"rooms": {room: {"sessions": {session: KeyBackupData}}}}`) in `version`.
    func backUpKeys(_ body: JSONValue, version: String) async throws {
        let _: JSONValue = try await call("PUT", MatrixPath.client("room_keys", "keys"), query: ["version": version], body: body)
    }

    /// One room key from backup `version`, or nil when it holds none for that session.
    func backedUpKey(room: MatrixRoomID, session: String, version: String) async throws -> JSONValue? {
        do {
            let data: JSONValue = try await call(
                "GET", MatrixPath.client("room_keys", "keys", room.rawValue, session), query: ["version": version])
            return data
        } catch let error as MatrixError where error.code == "M_NOT_FOUND" {
            return nil
        }
    }

    /// Everyone joined to `room` now, whatever the sync's lazy loading left out.
    func joinedMembers(of room: MatrixRoomID) async throws -> [MatrixUserID] {
        let answer: JSONValue = try await call("GET", MatrixPath.client("rooms", room.rawValue, "joined_members"))
        guard case .object(let joined)? = answer["joined"] else { return [] }
        return joined.keys.map(MatrixUserID.init).sorted { $0.rawValue < $1.rawValue }
    }

    func whoami() async throws -> WhoAmI {
        try await call("GET", MatrixPath.client("account", "whoami"))
    }

    func displayName(of user: MatrixUserID) async throws -> String? {
        let profile: JSONValue = try await call("GET", MatrixPath.client("profile", user.rawValue, "displayname"))
        return profile["displayname"]?.string
    }

    /// A long poll: returns when there is something new, or after `timeout` with nothing.
    func sync(since: String?, filter: String, timeout: Duration) async throws -> SyncResponse {
        var query = ["filter": filter, "timeout": "\(timeout.inMilliseconds)", "set_presence": "offline"]
        if let since { query["since"] = since }
        return try await call("GET", MatrixPath.client("sync"), query: query, timeout: timeout + requestTimeout)
    }

    /// Events of `room` from `from` backwards, towards `to` (a sync token) when given.
    func messages(in room: MatrixRoomID, from: String, to: String?, limit: Int, filter: String) async throws -> MessagesPage {
        var query = ["from": from, "dir": "b", "limit": "\(limit)", "filter": filter]
        if let to { query["to"] = to }
        return try await call("GET", MatrixPath.client("rooms", room.rawValue, "messages"), query: query)
    }

    /// Posts an event; the transaction id makes a retried or repeated send post once.
    func send(_ content: JSONValue, type: String = "m.room.message", to room: MatrixRoomID, transactionID: String) async throws -> MatrixEventID {
        let sent: EventID = try await call(
            "PUT", MatrixPath.client("rooms", room.rawValue, "send", type, transactionID), body: content)
        return sent.eventID
    }

    func redact(_ event: MatrixEventID, in room: MatrixRoomID, reason: String?, transactionID: String) async throws {
        var body: [String: JSONValue] = [:]
        if let reason { body["reason"] = .string(reason) }
        let _: EventID = try await call(
            "PUT", MatrixPath.client("rooms", room.rawValue, "redact", event.rawValue, transactionID), body: .object(body))
    }

    /// Joins by room id or alias (`#help:example.org`); returns the room's id.
    func join(_ roomOrAlias: String) async throws -> MatrixRoomID {
        let joined: RoomID = try await call("POST", MatrixPath.client("join", roomOrAlias), body: .object([:]))
        return joined.roomID
    }

    /// Leaves a room, or refuses an invite to it.
    func leave(_ room: MatrixRoomID, reason: String? = nil) async throws {
        var body: [String: JSONValue] = [:]
        if let reason { body["reason"] = .string(reason) }
        let _: Empty = try await call("POST", MatrixPath.client("rooms", room.rawValue, "leave"), body: .object(body))
    }

    /// `kick` or `ban`.
    func remove(_ user: MatrixUserID, from room: MatrixRoomID, how: String, reason: String?) async throws {
        var body: [String: JSONValue] = ["user_id": .string(user.rawValue)]
        if let reason { body["reason"] = .string(reason) }
        let _: Empty = try await call("POST", MatrixPath.client("rooms", room.rawValue, how), body: .object(body))
    }

    func setTyping(_ typing: Bool, in room: MatrixRoomID, user: MatrixUserID, timeout: Duration) async throws {
        var body: [String: JSONValue] = ["typing": .bool(typing)]
        if typing { body["timeout"] = .number(Double(timeout.inMilliseconds)) }
        let _: Empty = try await call("PUT", MatrixPath.client("rooms", room.rawValue, "typing", user.rawValue), body: .object(body))
    }

    func markRead(_ event: MatrixEventID, in room: MatrixRoomID) async throws {
        let _: Empty = try await call(
            "POST", MatrixPath.client("rooms", room.rawValue, "receipt", "m.read", event.rawValue), body: .object([:]))
    }

    func powerLevels(in room: MatrixRoomID) async throws -> PowerLevels {
        let content: JSONValue = try await call("GET", MatrixPath.client("rooms", room.rawValue, "state", "m.room.power_levels", ""))
        return PowerLevels(content)
    }

    func resolveAlias(_ alias: String) async throws -> MatrixRoomID {
        let resolved: RoomID = try await call("GET", MatrixPath.client("directory", "room", alias))
        return resolved.roomID
    }
}
