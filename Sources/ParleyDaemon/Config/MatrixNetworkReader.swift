import Foundation
import ParleyCore
import ParleyMatrix

/// Reads a `matrix` network from the config into the connector's configuration.
enum MatrixNetworkReader {
    static let keys = [
        "type", "homeserver", "user_id", "access_token", "access_token_file", "password", "password_file",
        "device_name", "rooms", "invites_from", "leave_when_alone", "reply_with", "notices_from", "edit_interval_ms", "language",
        "timeline_limit", "max_reconnect_delay_s", "crypto_pickle_key", "crypto_pickle_key_file",
        "room_key_wait_s", "remembered_events", "key_backup_recovery_key", "key_backup_recovery_key_file", "blacklisted_devices",
    ]

    static func read(name: NetworkID, _ node: ConfigNode) throws -> MatrixConnectorConfiguration {
        let map = try node.mapping(keys: keys)
        let serverNode = try map.required("homeserver")
        let text = try serverNode.nonEmptyString()
        guard let homeserver = URL(string: text), let scheme = homeserver.scheme?.lowercased(),
              ["http", "https"].contains(scheme), homeserver.host != nil else {
            throw serverNode.invalid("'\(text)' is not a homeserver URL; write https://matrix.example.org")
        }
        let userNode = try map.required("user_id")
        let user = MatrixUserID(try userNode.nonEmptyString())
        guard user.isValid else {
            throw userNode.invalid("'\(user)' is not a Matrix user id; write it whole, as @parley:example.org")
        }
        let authentication: MatrixConnectorConfiguration.Authentication
        switch (try map.secret("access_token"), try map.secret("password")) {
        case (let token?, nil): authentication = .accessToken(token)
        case (nil, let password?): authentication = .password(password)
        case (_?, _?):
            throw ConfigError.conflictingKeys((map["password"] ?? map["password_file"])!.location, "access_token", "password")
        case (nil, nil):
            throw node.invalid("give access_token (\"${ENV_VAR}\") or access_token_file, or password / password_file so that Parley logs in once and keeps the device")
        }
        var configuration = MatrixConnectorConfiguration(
            network: name, homeserver: homeserver, userID: user, authentication: authentication)
        if let value = try map["device_name"]?.nonEmptyString() { configuration.deviceName = value }
        if let rooms = map["rooms"] {
            configuration.rooms = try rooms.list().map { entry in
                let room = try entry.nonEmptyString()
                guard let first = room.first, "!#".contains(first), room.contains(":") || first == "!" else {
                    throw entry.invalid("'\(room)' is not a room id (!id:server) or alias (#name:server)")
                }
                return room
            }
        }
        var invites = MatrixConnectorConfiguration.InvitePolicy(servers: [configuration.serverName])
        if let node = map["invites_from"] {
            invites = MatrixConnectorConfiguration.InvitePolicy()
            for entry in try node.list() {
                let value = try entry.nonEmptyString()
                if value.hasPrefix("@") {
                    guard MatrixUserID(value).isValid else { throw entry.invalid("'\(value)' is not a user id; write @name:server") }
                    invites.users.insert(MatrixUserID(value))
                } else {
                    let server = value.hasPrefix(":") ? String(value.dropFirst()) : value
                    guard !server.isEmpty, !server.contains(where: { $0.isWhitespace || $0 == "@" }) else {
                        throw entry.invalid("'\(value)' is neither a user id (@name:server) nor a server name (example.org)")
                    }
                    invites.servers.insert(server.lowercased())
                }
            }
        }
        configuration.invites = invites
        if let value = try map["leave_when_alone"]?.bool() { configuration.leaveWhenAlone = value }
        if let style = try map["reply_with"]?.choice([("notice", OutboundMessage.Style.notice), ("text", .message)]) {
            configuration.replyStyle = style
        }
        if let node = map["notices_from"] {
            for entry in try node.list() {
                let user = MatrixUserID(try entry.nonEmptyString())
                guard user.isValid else { throw entry.invalid("'\(user)' is not a Matrix user id; write it whole, as @helper:example.org") }
                configuration.noticesFrom.insert(user)
            }
        }
        if let value = try map["edit_interval_ms"]?.int(in: 200...60_000) { configuration.editInterval = .milliseconds(value) }
        if let value = try map["timeline_limit"]?.int(in: 10...1000) { configuration.timelineLimit = value }
        if let node = map["language"] { configuration.language = try ChannelPolicyReader.language(node) }
        if let value = try map["max_reconnect_delay_s"]?.int(in: 1...3600) { configuration.maxReconnectDelay = .seconds(value) }
        if let key = try map.secret("crypto_pickle_key") {
            guard key.value.utf8.count >= 32 else {
                throw (map["crypto_pickle_key"] ?? map["crypto_pickle_key_file"])!.invalid(
                    "crypto_pickle_key locks the bot's encryption keys: give at least 32 characters, as `openssl rand -base64 32` prints")
            }
            configuration.cryptoPickleKey = key
        }
        if let value = try map["remembered_events"]?.int(in: 100...1_000_000) { configuration.rememberedEvents = value }
        if let value = try map["room_key_wait_s"]?.int(in: 1...86_400) { configuration.roomKeyWait = .seconds(value) }
        if let text = try map.secret("key_backup_recovery_key") {
            let node = (map["key_backup_recovery_key"] ?? map["key_backup_recovery_key_file"])!
            guard configuration.cryptoPickleKey != nil else {
                throw node.invalid("key_backup_recovery_key needs crypto_pickle_key: the backup holds the keys of encrypted rooms, which are read only with encryption on")
            }
            do {
                configuration.keyBackupRecoveryKey = try RecoveryKey(parsing: text.value)
            } catch {
                throw node.invalid("not a recovery key: \(error); give the 48 characters Element shows (groups of four), or make one with `parley matrix recovery-key`")
            }
        }
        if let node = map["blacklisted_devices"] {
            configuration.blacklistedDevices = try node.list().map(blacklistedDevice)
        }
        return configuration
    }

    /// `"@user:server"` (every device of the user) or `{ user: "@user:server", device: DEVICEID }`.
    private static func blacklistedDevice(_ node: ConfigNode) throws -> BlacklistedDevice {
        func user(_ node: ConfigNode) throws -> MatrixUserID {
            let text = try node.nonEmptyString()
            guard text.hasPrefix("@"), text.contains(":") else { throw node.invalid("'\(text)' is not a Matrix user id; write @name:server") }
            return MatrixUserID(text)
        }
        if (try? node.nonEmptyString()) != nil { return BlacklistedDevice(user: try user(node)) }
        let map = try node.mapping(keys: ["user", "device"])
        return BlacklistedDevice(user: try user(try map.required("user")), device: try map["device"]?.nonEmptyString())
    }
}
