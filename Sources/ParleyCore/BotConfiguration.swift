/// The bot-wide settings: its name, its commands, its limits.
public struct BotConfiguration: Sendable {
    /// The name people address the bot by (`parley: …`); connectors may add network nicks.
    public var name: String
    /// What starts a command (`!`).
    public var commandPrefix: String
    /// The command that asks a question in channels with the `prefix` trigger (`ask` → `!ask …`).
    public var askCommand: String
    /// Most generations running at once, over all channels.
    public var maxConcurrentGenerations: Int
    /// Most conversation contexts held in memory; the least recently used idle ones are let go
    /// (their transcripts stay in storage).
    public var maxSessions: Int
    /// Who is admin, operator or staff, by authenticated account.
    public var roles: RoleList
    /// Where escalated messages go, for humans to pick up.
    public var escalationChannel: ChannelKey?
    /// Whether the bot stops once a connector's input ends and the pending work is done
    /// (`parley chat` with piped input).
    public var stopsWhenInputEnds: Bool
    /// Most inbound events waiting for the bot, over all networks; past it, connectors that can
    /// read less do (IRC stops reading its socket until the bot catches up).
    public var inboundBacklog: Int
    /// How long a network whose connector failed waits before it is started again.
    public var networkRestart: Backoff
    /// On shutdown, how long replies in progress may take to finish before everything stops.
    public var drainTime: Duration
    /// Whether `!forget me` is allowed to a sender the network does not vouch for (an IRC nick
    /// not identified to services): anyone can take a nick, and with it another's forget-me.
    public var forgetsByNick = false

    public init(
        name: String = "parley",
        commandPrefix: String = "!",
        askCommand: String = "ask",
        maxConcurrentGenerations: Int = 2,
        maxSessions: Int = 1000,
        roles: RoleList = RoleList(),
        escalationChannel: ChannelKey? = nil,
        stopsWhenInputEnds: Bool = false,
        inboundBacklog: Int = 256,
        networkRestart: Backoff = Backoff(base: .seconds(5), cap: .seconds(300)),
        drainTime: Duration = .seconds(10)
    ) {
        self.name = name
        self.commandPrefix = commandPrefix
        self.askCommand = askCommand
        self.maxConcurrentGenerations = maxConcurrentGenerations
        self.maxSessions = maxSessions
        self.roles = roles
        self.escalationChannel = escalationChannel
        self.stopsWhenInputEnds = stopsWhenInputEnds
        self.inboundBacklog = inboundBacklog
        self.networkRestart = networkRestart
        self.drainTime = drainTime
    }
}
