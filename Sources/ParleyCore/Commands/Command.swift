/// A command people type with the bot's prefix (`!help`).
public protocol Command: Sendable {
    /// The word after the prefix, lowercase.
    var name: String { get }
    /// Other words that run the same command.
    var aliases: [String] { get }
    /// One line for `!help`.
    var summary: String { get }
    /// How to call it, without the prefix (`ignore <nick glob | account:NAME>`).
    var usage: String { get }
    /// Whether only configured admins, by authenticated account, may run it.
    var requiresAdmin: Bool { get }
    /// Whether, when it requires an admin, the channel's operators (the `operators` role) may
    /// run it too: it concerns the channel it is said in, and nothing beyond.
    var operatorsMay: Bool { get }

    /// Runs the command; the text returned is sent back to the channel.
    func run(_ invocation: CommandInvocation) async throws -> String?
}

extension Command {
    /// Whether someone holding `roles` where it is said may run it.
    public func isAllowed(to roles: Set<RoleList.Role>) -> Bool {
        !requiresAdmin || roles.contains(.admin) || (operatorsMay && roles.contains(.operator))
    }

    public var aliases: [String] { [] }
    public var usage: String { name }
    public var requiresAdmin: Bool { false }
    public var operatorsMay: Bool { false }
}

/// One call of a command.
public struct CommandInvocation: Sendable {
    public var message: InboundMessage
    /// The text after the command word, trimmed.
    public var arguments: String
    /// What a command may ask of the bot.
    public var bot: any BotControl

    public init(message: InboundMessage, arguments: String, bot: any BotControl) {
        self.message = message
        self.arguments = arguments
        self.bot = bot
    }
}

/// The bot's operations that commands and plugins may use.
public protocol BotControl: Sendable {
    var commandPrefix: String { get }
    /// Whether `!forget me` works for a sender without an account (`privacy.forget_by_nick`).
    var forgetsByNick: Bool { get }
    func commandList() async -> [any Command]
    /// Whether `sender` is a configured admin on `network`, by authenticated account.
    func isAdmin(_ sender: Sender, on network: NetworkID) async -> Bool
    /// The roles `sender` holds in `channel`, by authenticated account (the config's `admins`,
    /// `operators`, `staff`).
    func roles(of sender: Sender, in channel: ChannelKey) async -> Set<RoleList.Role>
    /// Clears the context the message belongs to, cancelling a reply in progress there.
    func resetContext(of message: InboundMessage) async
    /// Removes everything that concerns the sender, in memory and in storage; returns how many
    /// transcript entries went.
    func forget(_ user: UserID, on network: NetworkID) async throws -> Int
    func status(of message: InboundMessage) async -> BotStatus
    /// The rolling summary of the conversation the message belongs to, if one was made.
    func summary(for message: InboundMessage) async -> ConversationSummary?
    /// The sender's notes; nil where the channel keeps none (`memory.notes` off).
    func notes(for message: InboundMessage) async throws -> [PersonNote]?
    /// `!remember`: false where the channel keeps no notes.
    func remember(_ text: String, for message: InboundMessage) async throws -> Bool
    /// `!forget TEXT`: the sender's notes containing it removed; nil where the channel keeps none.
    func forgetNotes(containing text: String, for message: InboundMessage) async throws -> Int?
    func setPaused(_ paused: Bool, channel: ChannelKey) async
    var ignoreList: IgnoreList { get }
    /// `!ignore`: adds to the ignore list, kept across restarts; false if it was there already.
    func ignore(_ entry: String) async -> Bool
    /// `!unignore`: removes from the ignore list, kept across restarts; false if it was not there.
    func unignore(_ entry: String) async -> Bool
    /// Whether the sender may change the channel's settings (`!config`).
    func mayConfigure(_ message: InboundMessage) async -> Bool
    /// Every setting `!config` knows, as the channel has it now.
    func channelSettings(of message: InboundMessage) async -> [ChannelSettingValue]
    /// `!config set`, kept across restarts.
    func setChannelSetting(_ key: ChannelSetting, to value: String, for message: InboundMessage) async throws
    /// `!config unset`; false if the channel had no such setting.
    func unsetChannelSetting(_ key: ChannelSetting, for message: InboundMessage) async -> Bool
    /// `!reload`: the config read again and applied, or why not.
    func reloadConfiguration() async -> String
    /// One of the bot's own sentences, as the channel of `message` has it said.
    func sentence(_ sentence: BotSentence, for message: InboundMessage) async -> String
    /// `!human`: a ticket in a helpdesk channel; what the asker is told.
    func requestHuman(_ message: InboundMessage) async -> String
    /// Whether the sender has the `staff` role (or is an admin) where they wrote.
    func isStaff(_ message: InboundMessage) async -> Bool
    func claimTicket(_ id: Int, by message: InboundMessage) async throws -> String
    /// Nil when the text went to the customer (nothing to say in the staff channel).
    func replyToTicket(_ id: Int, text: String, by message: InboundMessage) async throws -> String?
    func closeTicket(_ id: Int, by message: InboundMessage) async throws -> String
    func ticketSummary(for message: InboundMessage) async -> String
}

/// One channel setting as `!config show` lists it.
public struct ChannelSettingValue: Sendable, Hashable {
    public var key: ChannelSetting
    public var value: String
    /// Whether it was set in chat rather than by the config.
    public var isOverride: Bool
}

/// What `!status` reports.
public struct BotStatus: Sendable, Hashable {
    public var uptime: Duration
    public var backend: BackendName
    public var sessions: Int
    public var contextEntries: Int
    public var queued: Int
    public var generating: Bool
    public var repliesSent: Int
    public var paused: Bool
    /// Every network and its state, by name.
    public var networks: [NetworkStatus]
    /// The settings set in chat for this channel.
    public var overrides: [ChannelSetting: String] = [:]
}

/// One network's state, for `!status`.
public struct NetworkStatus: Sendable, Hashable {
    public var network: NetworkID
    public var state: NetworkState
}

/// A bundle of commands, moderation hooks and prompt context.
public protocol Plugin: Sendable {
    var name: String { get }
    var commands: [any Command] { get }
    var inboundHooks: [any ModerationHook] { get }
    var outboundHooks: [any ModerationHook] { get }
    var contextProviders: [any ContextProvider] { get }
    /// `!forget me`: removes what the plugin keeps about `user`; how many items went.
    func forget(_ user: UserID, on network: NetworkID) async throws -> Int
    /// Something happened that the plugin may want to know; must return at once (a plugin that
    /// needs time takes it elsewhere).
    func observe(_ event: BotEvent) async
}

/// What plugins can be told as it happens.
public enum BotEvent: Sendable {
    /// A message the inbound hooks let through (`isRequest`: it asks the bot for something).
    case message(InboundMessage, isRequest: Bool)
    /// The bot finished answering `message` with `text`.
    case replySent(to: InboundMessage, text: String)
    /// Someone joined a channel the bot is in, or left it.
    case membership(ChannelKey, Sender, MembershipChange)

    /// Where it happened, and whether that is a direct conversation.
    public var place: (channel: ChannelKey, isDirect: Bool) {
        switch self {
        case .message(let message, _), .replySent(let message, _): (message.channel, message.isDirect)
        case .membership(let channel, _, _): (channel, false)
        }
    }
}

extension Plugin {
    public func observe(_ event: BotEvent) async {}
    public func forget(_ user: UserID, on network: NetworkID) async throws -> Int { 0 }
    public var commands: [any Command] { [] }
    public var inboundHooks: [any ModerationHook] { [] }
    public var outboundHooks: [any ModerationHook] { [] }
    public var contextProviders: [any ContextProvider] { [] }
}
