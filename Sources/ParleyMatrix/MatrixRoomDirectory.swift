import ParleyCore
/// What the connector knows of its rooms, from state events: members' display names, power
/// levels, encryption, whether a room is direct, how many are in it, and the names the config
/// gives rooms (an alias resolved to a room id keeps its alias as the channel's name).
struct MatrixRoomDirectory: Sendable {
    struct Room: Sendable {
        var displayNames: [MatrixUserID: String] = [:]
        /// Members known to be joined (lazy loading sends those the timeline needs).
        var joined: Set<MatrixUserID> = []
        var powerLevels = PowerLevels()
        var encrypted = false
        /// The `m.room.encryption` content (its rotation rules).
        var encryption: JSONValue?
        var direct = false
        var encryptionNoticeSent = false
        var joinedMembers: Int?
    }

    private(set) var rooms: [MatrixRoomID: Room] = [:]
    /// Room id → the alias the config names it by.
    private var configuredNames: [MatrixRoomID: String] = [:]
    private var roomsByName: [String: MatrixRoomID] = [:]

    subscript(room: MatrixRoomID) -> Room {
        get { rooms[room] ?? Room() }
        set { rooms[room] = newValue }
    }

    mutating func name(_ room: MatrixRoomID, as alias: String) {
        configuredNames[room] = alias
        roomsByName[alias] = room
    }

    /// The channel name the core knows `room` by.
    func channel(for room: MatrixRoomID) -> String { configuredNames[room] ?? room.rawValue }

    /// The room a channel name stands for: a configured alias, or the room id itself.
    func room(forChannel channel: String) -> MatrixRoomID { roomsByName[channel] ?? MatrixRoomID(channel) }

    mutating func forget(_ room: MatrixRoomID) { rooms[room] = nil }

    /// Applies a state event (from `state` or the timeline) to what is known of `room`.
    mutating func apply(_ event: MatrixEvent, in room: MatrixRoomID) {
        switch event.type {
        case "m.room.member":
            guard let user = event.stateKey.map(MatrixUserID.init) else { return }
            if let name = event.content["displayname"]?.string, !name.isEmpty {
                self[room].displayNames[user] = name
            }
            switch event.content["membership"]?.string {
            case "join": self[room].joined.insert(user)
            case "leave", "ban": self[room].joined.remove(user)
            default: break
            }
        case "m.room.power_levels" where event.stateKey == "":
            self[room].powerLevels = PowerLevels(event.content)
        case "m.room.encryption" where event.stateKey == "":
            self[room].encrypted = true
            self[room].encryption = event.content
        default:
            break
        }
    }

    /// Whether a member event would make someone join or leave `room` (not a profile change of
    /// someone already there), judged before it is applied.
    func membershipChange(_ event: MatrixEvent, in room: MatrixRoomID) -> MembershipChange? {
        guard event.type == "m.room.member", let user = event.stateKey.map(MatrixUserID.init) else { return nil }
        let present = rooms[room]?.joined.contains(user) ?? false
        switch event.content["membership"]?.string {
        case "join": return present ? nil : .joined
        case "leave", "ban": return present ? .left : nil
        default: return nil
        }
    }

    /// What a body could highlight each joined member of `room` by: display names, local parts.
    func memberNames(in room: MatrixRoomID) -> [String] {
        guard let info = rooms[room] else { return [] }
        return info.joined.sorted().flatMap { user in
            [info.displayNames[user], user.localpart].compactMap { $0 }
        }
    }

    /// The name people see for `user` in `room`: the display name, else the id's local part.
    func displayName(of user: MatrixUserID, in room: MatrixRoomID) -> String {
        if let name = rooms[room]?.displayNames[user] { return name }
        return user.localpart
    }
}
