/// Whose words share one conversation context in a channel.
public enum ContextScope: String, Sendable, Hashable, CaseIterable {
    /// Everyone in the channel shares one context (a channel assistant).
    case channel
    /// Each person has their own context (a helpdesk).
    case user
    /// Each thread has its own context; messages outside threads share the channel's.
    case thread
}

/// How the bot behaves in one channel: the config's `channels` entry that matched it.
public struct ChannelPolicy: Sendable, Hashable {
    public var triggers: TriggerSet
    public var scope: ContextScope
    public var systemPrompt: String
    /// The backend to ask, then the fallbacks in order.
    public var backend: BackendName
    public var fallbacks: [BackendName]
    public var parameters: GenerationParameters
    /// Most transcript entries kept in a context (before the token budget trims further).
    public var historyLimit: Int
    /// Whether messages that do not trigger a reply still enter the context (channel chatter
    /// the bot may be asked about); off unless the operator asks, as it keeps what people did
    /// not say to the bot.
    public var recordsChatter: Bool
    /// Most messages that may wait while a reply is being generated; one more gets "busy".
    public var queueLimit: Int
    /// How replies are sent here (`reply_as`); nil: the network's own default.
    public var replyStyle: OutboundMessage.Style?
    /// Whether a reply written by a fallback backend is followed by a line saying so.
    public var announcesFallback: Bool
    /// Whether senders the network marks as bots (IRCv3 `bot` tag, Matrix notices) are answered;
    /// off by default, so that two bots never answer each other in a loop.
    public var answersBots: Bool
    /// Which plugins work here.
    public var plugins: PluginSelection
    /// The language of the bot's own sentences here (the model answers as the prompt says).
    public var language: BotLanguage
    /// The config's own text for some of them (`messages:`), over the language's.
    public var sentences: [BotSentence.Key: String]
    /// Whether the channel's operators (identified to services on IRC; power level 50 or more on
    /// Matrix) may change its settings from chat (`!config`), besides admins.
    public var opsMayConfigure = false
    /// The operator's documents the channel answers from, if any (`knowledge:`).
    public var knowledge: KnowledgePolicy?
    /// The hand-off to people, if the channel is a helpdesk (`helpdesk:`).
    public var helpdesk: HelpdeskPolicy?
    /// Summaries and notes (`memory:`).
    public var memory = MemoryPolicy()
    /// How long this channel's lines are kept (`retention_days`), where shorter than the store's.
    public var retention: Duration?
    /// Said once in the channel before the bot's first answer there (`privacy_notice`).
    public var privacyNotice: String?

    public init(
        triggers: TriggerSet = [.mention, .prefix, .direct],
        scope: ContextScope = .channel,
        systemPrompt: String = ChannelPolicy.defaultSystemPrompt,
        backend: BackendName,
        fallbacks: [BackendName] = [],
        parameters: GenerationParameters = GenerationParameters(),
        historyLimit: Int = 50,
        recordsChatter: Bool = false,
        queueLimit: Int = 4,
        replyStyle: OutboundMessage.Style? = nil,
        announcesFallback: Bool = false,
        answersBots: Bool = false,
        plugins: PluginSelection = .all,
        language: BotLanguage = .english,
        sentences: [BotSentence.Key: String] = [:]
    ) {
        self.triggers = triggers
        self.scope = scope
        self.systemPrompt = systemPrompt
        self.backend = backend
        self.fallbacks = fallbacks
        self.parameters = parameters
        self.historyLimit = historyLimit
        self.recordsChatter = recordsChatter
        self.queueLimit = queueLimit
        self.announcesFallback = announcesFallback
        self.replyStyle = replyStyle
        self.answersBots = answersBots
        self.plugins = plugins
        self.language = language
        self.sentences = sentences
    }

    public static let defaultSystemPrompt =
        "You are Parley, a helpful assistant in a chat channel. Lines from people start with their name. Answer briefly and plainly."
}

/// Which channels a policy applies to; an absent field matches anything.
public struct ChannelMatch: Sendable, Hashable {
    public var network: NetworkID?
    /// The channel name, compared case-insensitively.
    public var channel: String?
    /// Direct conversations only (true) or channels only (false).
    public var direct: Bool?

    public init(network: NetworkID? = nil, channel: String? = nil, direct: Bool? = nil) {
        self.network = network
        self.channel = channel
        self.direct = direct
    }

    public func matches(_ key: ChannelKey, isDirect: Bool) -> Bool {
        if let network, network != key.network { return false }
        if let channel, channel.lowercased() != key.channel.lowercased() { return false }
        if let direct, direct != isDirect { return false }
        return true
    }
}

/// The channel rules of a config: the first match wins, the default covers the rest.
public struct ChannelPolicies: Sendable {
    public var rules: [(match: ChannelMatch, policy: ChannelPolicy)]
    public var fallback: ChannelPolicy
    /// What was set in chat (`!config set`), per channel, over the rules.
    public var overrides: [ChannelKey: ChannelSettings] = [:]

    public init(rules: [(match: ChannelMatch, policy: ChannelPolicy)] = [], fallback: ChannelPolicy) {
        self.rules = rules
        self.fallback = fallback
    }

    public func policy(for key: ChannelKey, isDirect: Bool) -> ChannelPolicy {
        let configured = configuredPolicy(for: key, isDirect: isDirect)
        return overrides[key]?.applied(to: configured) ?? configured
    }

    /// The policy the config gives `key`, without what was set in chat.
    public func configuredPolicy(for key: ChannelKey, isDirect: Bool) -> ChannelPolicy {
        rules.first { $0.match.matches(key, isDirect: isDirect) }?.policy ?? fallback
    }
}

/// The identity of one conversation context: a channel, narrowed to a person or a thread when
/// the channel's scope says so.
public struct SessionKey: Hashable, Sendable, CustomStringConvertible {
    public var channel: ChannelKey
    public var user: UserID?
    public var thread: ThreadID?

    public init(channel: ChannelKey, user: UserID? = nil, thread: ThreadID? = nil) {
        self.channel = channel
        self.user = user
        self.thread = thread
    }

    init(for message: InboundMessage, scope: ContextScope) {
        self.channel = message.channel
        self.user = scope == .user ? message.sender.id : nil
        self.thread = scope == .thread ? message.thread : nil
    }

    /// A string that identifies the session in storage and to backends.
    public var description: String {
        var parts = ["\(channel.network)", channel.channel]
        if let user { parts.append("user=\(user)") }
        if let thread { parts.append("thread=\(thread)") }
        return parts.joined(separator: "/")
    }
}

extension ChannelPolicy {
    /// A sentence of the bot's own as this channel has it said.
    public func text(_ sentence: BotSentence) -> String {
        sentence.text(in: language, overrides: sentences)
    }
}
