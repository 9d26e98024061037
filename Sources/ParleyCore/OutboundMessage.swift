/// Text the bot sends to a channel, in the core's protocol-neutral form.
///
/// The connector turns it into its wire form: IRC splits it into lines that fit and paces them,
/// Matrix sends an event. Text is already sanitised by the outbound moderation pipeline, but a
/// connector still owns its framing: nothing in `text` may become a second protocol command.
public struct OutboundMessage: Sendable, Hashable {
    /// What part of a reply this message carries.
    public enum Part: Sendable, Hashable {
        /// A complete message.
        case complete
        /// A piece of a reply being streamed token by token; more follows.
        case fragment
        /// The end of a streamed reply (its text may be empty).
        case end
        /// The reply so far, on an editing connector: later parts of the same reply (the same
        /// channel and `replyTo`) replace it; the reply's last part is `.complete`.
        case draft
    }

    /// How the bot speaks: a reply to people, or a notice (which other bots must not answer).
    public enum Style: Sendable, Hashable {
        case message
        case notice
    }

    public var channel: ChannelKey
    public var text: String
    public var part: Part
    public var style: Style
    public var thread: ThreadID?
    public var replyTo: MessageID?
    /// The person the reply answers, for connectors that address replies (`nick: …`).
    public var recipient: Sender?

    public init(
        channel: ChannelKey,
        text: String,
        part: Part = .complete,
        style: Style = .message,
        thread: ThreadID? = nil,
        replyTo: MessageID? = nil,
        recipient: Sender? = nil
    ) {
        self.channel = channel
        self.text = text
        self.part = part
        self.style = style
        self.thread = thread
        self.replyTo = replyTo
        self.recipient = recipient
    }
}
