public import ParleyCore

/// Who the bot is on one IRC network and how it behaves there (everything but the transport).
public struct IRCSessionConfiguration: Sendable, Equatable {
    /// A channel to be in, with its key if it has one.
    public struct Channel: Sendable, Hashable {
        public var name: String
        public var key: Secret?

        public init(_ name: String, key: Secret? = nil) {
            self.name = name
            self.key = key
        }
    }

    /// What to do when SASL was asked for and fails (904, 905, a timeout, a forged reply).
    public enum SASLFailurePolicy: String, Sendable, Hashable {
        /// Disconnect and retry later: better no bot than a bot without its account.
        case abort
        /// Go on unauthenticated.
        case `continue`
    }

    public var nick: String
    /// Nicks to try, in order, when `nick` is taken; then `nick` with digits.
    public var alternateNicks: [String]
    public var user: String
    public var realName: String
    /// The server password (`PASS`), if the network wants one.
    public var serverPassword: Secret?
    public var sasl: SASLCredentials?
    public var onSASLFailure: SASLFailurePolicy
    /// Sent to NickServ as `IDENTIFY` after registration when SASL is not configured or not offered.
    public var nickServPassword: Secret?
    public var channels: [Channel]
    public var rejoinAfterKick: Bool
    /// How long after a kick before rejoining (an instant rejoin reads as hostile).
    public var rejoinDelay: Duration
    /// Whether to join a channel the bot is invited to.
    public var joinOnInvite: Bool
    /// Silence after which the client sends its own PING.
    public var pingInterval: Duration
    /// Silence after its PING after which the connection is considered dead.
    public var pingTimeout: Duration
    /// How long services may take to answer SASL.
    public var saslTimeout: Duration
    /// How often to try to take the configured nick back while using another.
    public var regainInterval: Duration
    /// Reply to CTCP VERSION with this (nil: do not answer VERSION).
    public var versionReply: String?
    /// Reply to CTCP SOURCE with this: where the bot's source is (`ctcp_source`); nil: not answered.
    public var sourceReply: String? = "Parley, a chat bot daemon in Swift"

    /// The CTCP requests the bot answers, for CLIENTINFO.
    var ctcpCommands: [String] {
        ["ACTION", "CLIENTINFO", "PING"] + (sourceReply == nil ? [] : ["SOURCE"]) + (versionReply == nil ? [] : ["VERSION"])
    }

    public init(
        nick: String,
        alternateNicks: [String]? = nil,
        user: String? = nil,
        realName: String = "Parley chat bot",
        serverPassword: Secret? = nil,
        sasl: SASLCredentials? = nil,
        onSASLFailure: SASLFailurePolicy = .abort,
        nickServPassword: Secret? = nil,
        channels: [Channel] = [],
        rejoinAfterKick: Bool = true,
        rejoinDelay: Duration = .seconds(10),
        joinOnInvite: Bool = false,
        pingInterval: Duration = .seconds(90),
        pingTimeout: Duration = .seconds(60),
        saslTimeout: Duration = .seconds(30),
        regainInterval: Duration = .seconds(60),
        versionReply: String? = "Parley"
    ) {
        self.nick = nick
        self.alternateNicks = alternateNicks ?? [nick + "_", nick + "__"]
        self.user = user ?? nick
        self.realName = realName
        self.serverPassword = serverPassword
        self.sasl = sasl
        self.onSASLFailure = onSASLFailure
        self.nickServPassword = nickServPassword
        self.channels = channels
        self.rejoinAfterKick = rejoinAfterKick
        self.rejoinDelay = rejoinDelay
        self.joinOnInvite = joinOnInvite
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.saslTimeout = saslTimeout
        self.regainInterval = regainInterval
        self.versionReply = versionReply
    }
}
