public import struct Foundation.Date

/// A message a connector received, in the core's protocol-neutral form.
public struct InboundMessage: Sendable {
    public var id: MessageID
    public var channel: ChannelKey
    public var sender: Sender
    /// The text as the sender wrote it, decoded but otherwise untouched.
    public var text: String
    /// Whether this came in a direct (one-to-one) conversation rather than a channel.
    public var isDirect: Bool
    /// How the message addressed the bot, as the connector detected it with the network's rules.
    public var addressing: Addressing
    public var thread: ThreadID?
    public var replyTo: MessageID?
    public var time: Date

    public init(
        id: MessageID,
        channel: ChannelKey,
        sender: Sender,
        text: String,
        isDirect: Bool = false,
        addressing: Addressing = .none,
        thread: ThreadID? = nil,
        replyTo: MessageID? = nil,
        time: Date = Date()
    ) {
        self.id = id
        self.channel = channel
        self.sender = sender
        self.text = text
        self.isDirect = isDirect
        self.addressing = addressing
        self.thread = thread
        self.replyTo = replyTo
        self.time = time
    }

    /// Replaces the text (a moderation hook's rewrite of the whole message). An address the
    /// rewrite kept at the start stays an address, and out of the body; one it removed leaves the
    /// message mentioned, so the bot still answers, and the body is the new text.
    mutating func rewrite(to newText: String) {
        if case .addressed(let body) = addressing {
            let address = text.dropLast(body.count)
            if !address.isEmpty, newText.hasPrefix(address) {
                addressing = .addressed(body: String(newText.dropFirst(address.count).drop(while: { $0 == " " })))
            } else {
                addressing = .mentioned
            }
        }
        text = newText
    }

    /// The text with a leading address (`parley: `) removed: what the sender asked.
    public var body: String {
        if case .addressed(let body) = addressing { return body }
        return text
    }
}
