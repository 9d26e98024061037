/// A check on what people send and what the bot is about to say.
///
/// Hooks run in the order configured; the first verdict other than `allow` decides (a `rewrite`
/// passes the rewritten text on to the next hook).
public protocol ModerationHook: Sendable {
    /// A short name used in logs and the moderation log.
    var name: String { get }

    func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict
    func review(draft: String, _ review: OutboundReview) async -> ModerationVerdict
}

extension ModerationHook {
    public func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict { .allow }
    public func review(draft: String, _ review: OutboundReview) async -> ModerationVerdict { .allow }
}

/// What an inbound hook knows besides the message.
public struct InboundReview: Sendable {
    /// Whether the message asks the bot for something (a trigger or a command), as opposed to
    /// channel chatter the bot only records.
    public var isRequest: Bool
    /// The channel's way of saying the bot's own sentences, for a hook that answers.
    public var words: ChannelPolicy?

    public init(isRequest: Bool, words: ChannelPolicy? = nil) {
        self.isRequest = isRequest
        self.words = words
    }

    /// `sentence` as the message's channel has it said (English without a channel policy).
    public func text(_ sentence: BotSentence) -> String {
        words?.text(sentence) ?? sentence.text(in: .english)
    }
}

/// What an outbound hook knows besides the draft.
public struct OutboundReview: Sendable {
    public var channel: ChannelKey
    /// Whether the channel is a direct conversation.
    public var isDirect: Bool
    /// Names of people seen in the conversation: what a reply could highlight.
    public var knownNames: [String]

    public init(channel: ChannelKey, isDirect: Bool = false, knownNames: [String]) {
        self.channel = channel
        self.isDirect = isDirect
        self.knownNames = knownNames
    }
}

/// A hook's decision.
public enum ModerationVerdict: Sendable, Hashable {
    case allow
    /// Go on with this text instead.
    case rewrite(String, reason: String)
    /// Stop silently.
    case drop(reason: String)
    /// Stop, and tell the sender `message`.
    case respond(String, reason: String)
    /// Stop, and hand the matter to humans.
    case escalate(reason: String)
    /// Stop, and take a moderation action where the bot has the right to.
    case act(ModerationAction, reason: String)

    public var reason: String? {
        switch self {
        case .allow: nil
        case .rewrite(_, let reason), .drop(let reason), .respond(_, let reason),
            .escalate(let reason), .act(_, let reason):
            reason
        }
    }

    /// A one-word name for logs.
    public var label: String {
        switch self {
        case .allow: "allow"
        case .rewrite: "rewrite"
        case .drop: "drop"
        case .respond: "respond"
        case .escalate: "escalate"
        case .act(let action, _): action.kind.rawValue
        }
    }
}

/// A channel moderation action.
public struct ModerationAction: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case kick, ban, quiet, redact
    }

    public var kind: Kind
    /// Whom it is aimed at.
    public var target: Sender
    /// The message concerned (for `redact`).
    public var message: MessageID?
    public var reason: String

    public init(kind: Kind, target: Sender, message: MessageID? = nil, reason: String) {
        self.kind = kind
        self.target = target
        self.message = message
        self.reason = reason
    }
}
