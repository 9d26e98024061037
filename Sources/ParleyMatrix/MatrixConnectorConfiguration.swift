public import Foundation
public import ParleyCore

/// Everything a Matrix connector needs, as the config gives it.
public struct MatrixConnectorConfiguration: Sendable, Equatable {
    /// How the bot signs in.
    public enum Authentication: Sendable, Hashable {
        /// A token from the environment or a file; `whoami` says whose it is.
        case accessToken(Secret)
        /// Log in once with the password, then reuse the stored device and token.
        case password(Secret)
    }

    /// Who may invite the bot into a room.
    public struct InvitePolicy: Sendable, Hashable {
        /// Full user ids (`@alice:example.org`).
        public var users: Set<MatrixUserID>
        /// Server names (`example.org`): anyone on them.
        public var servers: Set<String>

        public init(users: Set<MatrixUserID> = [], servers: Set<String> = []) {
            self.users = users
            self.servers = servers
        }

        public func allows(_ user: MatrixUserID) -> Bool {
            users.contains(user) || (user.isValid && servers.contains(user.server))
        }
    }

    public var network: NetworkID
    public var homeserver: URL
    /// The bot's full user id (`@parley:example.org`).
    public var userID: MatrixUserID
    public var authentication: Authentication
    public var deviceName: String
    /// Rooms to be in: ids (`!abc:example.org`) or aliases (`#help:example.org`). A room named by
    /// its alias here is known to the core (and the channel policies) by that alias.
    public var rooms: [String]
    public var invites: InvitePolicy
    public var leaveWhenAlone: Bool
    /// `m.notice` (the default: other bots do not answer notices) or `m.text`.
    public var replyStyle: OutboundMessage.Style
    /// Users whose `m.notice` messages are read as questions (notices are bots' by convention).
    public var noticesFrom: Set<MatrixUserID>
    /// The least time between two edits of a streamed reply.
    public var editInterval: Duration
    /// How long a reply may take before its first part is shown and then edited: a reply done
    /// sooner is one event, with no "(edited)" mark. Half the edit interval.
    public var firstEditHold: Duration { editInterval / 2 }
    /// The events a single sync may carry per room before the gap is fetched from `/messages`.
    public var timelineLimit: Int
    public var syncTimeout: Duration
    /// How long one typing notification lasts; renewed while a question is open.
    public var typingTimeout: Duration = .seconds(30)
    /// How long an answer may take before the bot is shown typing: a command's answer, or any
    /// quicker, goes out without a typing request ahead of it.
    public var typingDelay: Duration = .milliseconds(500)
    /// How long after a sync the rooms it brought are marked read (one receipt per room for
    /// everything read meanwhile).
    public var readReceiptDelay: Duration = .seconds(1)
    /// Replies the connector sends at once; more wait for a slot. The homeserver posts each by
    /// its transaction id, so a retried send is never doubled.
    public var sendsInFlight = 8
    /// The longest wait between two attempts while the homeserver is down.
    public var maxReconnectDelay: Duration
    /// Locks the encryption state (libolm pickles) in the database (`crypto_pickle_key` or
    /// `crypto_pickle_key_file`); without it, encrypted rooms are not read.
    public var cryptoPickleKey: Secret?
    /// Opens the server-side key backup (`key_backup_recovery_key` or `_file`): every room key the
    /// bot is given is kept there, and a re-installed bot reads with it what it was sent before.
    public var keyBackupRecoveryKey: RecoveryKey?
    /// Devices that are never given the bot's room keys (`blacklisted_devices`): they cannot read
    /// what it says in encrypted rooms. Every other device of a joined member is given them.
    public var blacklistedDevices: [BlacklistedDevice] = []
    /// How long an encrypted message waits for its room key before the room is told, once, that
    /// the bot cannot read it yet (it still answers when the key comes).
    public var roomKeyWait: Duration = .seconds(60)
    /// How many handled event ids are remembered, in memory and in the database (and none for
    /// longer than a week), so that a replayed or overlapping sync never answers one twice
    /// (`remembered_events`). Bounds what the connector keeps however long it runs.
    public var rememberedEvents = Self.defaultRememberedEvents
    public static let defaultRememberedEvents = 20_000
    /// The language of what the connector says by itself (the encrypted-room notice), before
    /// any channel rule applies.
    public var language: BotLanguage = .english

    public init(
        network: NetworkID,
        homeserver: URL,
        userID: MatrixUserID,
        authentication: Authentication,
        deviceName: String = "Parley",
        rooms: [String] = [],
        invites: InvitePolicy = InvitePolicy(),
        leaveWhenAlone: Bool = true,
        replyStyle: OutboundMessage.Style = .notice,
        noticesFrom: Set<MatrixUserID> = [],
        editInterval: Duration = .seconds(1),
        timelineLimit: Int = 100,
        syncTimeout: Duration = .seconds(30),
        maxReconnectDelay: Duration = .seconds(60)
    ) {
        self.network = network
        self.homeserver = homeserver
        self.userID = userID
        self.authentication = authentication
        self.deviceName = deviceName
        self.rooms = rooms
        self.invites = invites
        self.leaveWhenAlone = leaveWhenAlone
        self.replyStyle = replyStyle
        self.noticesFrom = noticesFrom
        self.editInterval = editInterval
        self.timelineLimit = timelineLimit
        self.syncTimeout = syncTimeout
        self.maxReconnectDelay = maxReconnectDelay
    }

    /// The server part of the bot's user id.
    public var serverName: String { userID.server }

    /// The key the connector's saved state is stored under.
    var stateAccount: String { "\(network.rawValue)\u{1F}\(userID)" }
}

/// A device, or every device of a user, the bot never shares room keys with.
public struct BlacklistedDevice: Sendable, Hashable {
    public var user: MatrixUserID
    /// Nil: every device of `user`.
    public var device: String?

    public init(user: MatrixUserID, device: String? = nil) {
        self.user = user
        self.device = device
    }

    func covers(user other: MatrixUserID, device id: String) -> Bool {
        user == other && (device == nil || device == id)
    }
}
