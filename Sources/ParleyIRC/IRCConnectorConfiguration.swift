public import ParleyCore

/// Everything one IRC network needs: where, who, and how politely.
public struct IRCConnectorConfiguration: Sendable, Equatable {
    public var network: NetworkID
    public var endpoint: IRCEndpoint
    public var session: IRCSessionConfiguration
    public var flood: FloodControl
    /// How the bot speaks: PRIVMSG (`.message`) or NOTICE.
    public var replyStyle: OutboundMessage.Style
    /// The most lines of one reply sent at once; the rest waits for `more` (nil: no cap).
    public var maxLinesPerReply: Int?
    /// Whether IRC formatting codes (bold, colours) in replies are kept.
    public var keepFormatting: Bool
    /// Whether an answer in a channel starts with the asker's nick (`alice: …`), as IRC users expect.
    public var addressReplies: Bool
    /// What becomes of the Markdown in replies (`markdown:`), and where a channel says otherwise
    /// (`channels: [{name, markdown}]`).
    public var markdown: IRCMarkdown = .format
    public var channelMarkdown: [String: IRCMarkdown] = [:]
    /// How a plaintext network's connection is verified once an STS policy upgrades it to TLS
    /// (a private CA, a pin, a client certificate); the system's CAs by default. Never `.none`:
    /// an upgrade that anyone on the path could intercept would defeat STS.
    public var stsTLS: IRCEndpoint.TLSSettings
    /// First wait after a lost connection; it doubles (with jitter) up to `maxReconnectDelay`.
    public var reconnectDelay: Duration
    public var maxReconnectDelay: Duration

    public init(
        network: NetworkID,
        endpoint: IRCEndpoint,
        session: IRCSessionConfiguration,
        flood: FloodControl = FloodControl(),
        replyStyle: OutboundMessage.Style = .message,
        maxLinesPerReply: Int? = 6,
        keepFormatting: Bool = false,
        addressReplies: Bool = true,
        stsTLS: IRCEndpoint.TLSSettings = IRCEndpoint.TLSSettings(),
        reconnectDelay: Duration = .seconds(2),
        maxReconnectDelay: Duration = .seconds(300)
    ) {
        self.network = network
        self.endpoint = endpoint
        self.session = session
        self.flood = flood
        self.replyStyle = replyStyle
        self.maxLinesPerReply = maxLinesPerReply
        self.keepFormatting = keepFormatting
        self.addressReplies = addressReplies
        self.stsTLS = stsTLS
        self.reconnectDelay = reconnectDelay
        self.maxReconnectDelay = maxReconnectDelay
    }
}
