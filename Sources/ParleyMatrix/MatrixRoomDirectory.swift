/// What the connector knows of its rooms, from state events: members' display names, power
/// levels, encryption, whether a room is direct, how many are in it, and the names the config
/// gives rooms (an alias resolved to a room id keeps its alias as the channel's name).
struct MatrixRoomDirectory: Sendable {
    struct Room: Sendable {
        var displayNames: [String: String] = [:]
        /// Members known to be joined (lazy loading sends those the timeline needs).
        var joined: Set<String> = []
        var powerLevels = PowerLevels()
        var encrypted = false
        var direct = false
        var encryptionNoticeSent = false
        var joinedMembers: Int?
    }

    private(set) var rooms: [String: Room] = [:]
    /// Room id → the alias the config names it by.
    private var configuredNames: [String: String] = [:]
    private var roomsByName: [String: String] = [:]

    subscript(room: String) -> Room {
        get { rooms[room] ?? Room() }
        set { rooms[room] = newValue }
    }

    mutating func name(_ room: String, as alias: String) {
        configuredNames[room] = alias
        roomsByName[alias] = room
    }

    /// The channel name the core knows `room` by.
    func channel(for room: String) -> String { configuredNames[room] ?? room }

    /// The room a channel name stands for: a configured alias, or the room id itself.
    func room(forChannel channel: String) -> String { roomsByName[channel] ?? channel }

    mutating func forget(_ room: String) { rooms[room] = nil }

    /// Applies a state event (from `state` or the timeline) to what is known of `room`.
    mutating func apply(_ event: MatrixEvent, in room: String) {
        switch event.type {
        case "m.room.member":
            guard let user = event.stateKey else { return }
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
        default:
            break
        }
    }

    /// What a body could highlight each joined member of `room` by: display names, local parts.
    func memberNames(in room: String) -> [String] {
        guard let info = rooms[room] else { return [] }
        return info.joined.sorted().flatMap { user in
            [info.displayNames[user], MatrixUser.localpart(user)].compactMap { $0 }
        }
    }

    /// The name people see for `user` in `room`: the display name, else the id's local part.
    func displayName(of user: String, in room: String) -> String {
        if let name = rooms[room]?.displayNames[user] { return name }
        return MatrixUser.localpart(user)
    }
}

/// Matrix user ids: `@localpart:server`.
enum MatrixUser {
    static func localpart(_ user: String) -> String {
        let body = user.hasPrefix("@") ? user.dropFirst() : Substring(user)
        return String(body.prefix { $0 != ":" })
    }

    /// Whether `text` looks like a user id: `@`, a local part, `:`, a server name.
    static func isValid(_ text: String) -> Bool {
        guard text.hasPrefix("@"), let colon = text.firstIndex(of: ":") else { return false }
        let local = text[text.index(after: text.startIndex)..<colon]
        let server = text[text.index(after: colon)...]
        return !local.isEmpty && !server.isEmpty && !text.contains(where: { $0.isWhitespace || $0.isNewline })
    }
}
