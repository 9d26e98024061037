import Logging

/// The one way out. Everything the bot says — replies, streamed or whole, command output, the
/// busy and rate-limit notices, error sentences, escalation notes, whatever a plugin sends — is
/// sent here, and only here:
/// - the style is decided here: the channel's `reply_as`, else the network's own default;
/// - the outbound moderation hooks run on every part, the output sanitiser last, and every
///   verdict other than allow is logged and kept in the moderation log;
/// - mass highlights are defused against the names of the channel's members (as the connector
///   knows them) and of the people in the conversation;
/// - the message is addressed: its channel, thread, the message it answers and the person.
struct Outbox: Sendable {
    let connectors: [NetworkID: any Connector]
    let pipeline: ModerationPipeline
    let policies: ChannelPolicies
    let clock: any MonotonicClock
    let logger: Logger
    /// Logs a verdict other than allow about an outbound message, and keeps it.
    let report: @Sendable (ModerationVerdict, _ hook: String, _ channel: ChannelKey) async -> Void

    /// Where a message goes and what it answers.
    struct Address: Sendable {
        var channel: ChannelKey
        var isDirect: Bool
        var thread: ThreadID?
        var replyTo: MessageID?
        var recipient: Sender?

        /// An answer to `message`: in its channel and thread, to its sender.
        static func reply(to message: InboundMessage) -> Address {
            Address(
                channel: message.channel, isDirect: message.isDirect, thread: message.thread, replyTo: message.id,
                recipient: message.sender)
        }

        /// A message of the bot's own in `channel`, answering no one (an escalation note).
        static func note(in channel: ChannelKey) -> Address {
            Address(channel: channel, isDirect: false)
        }
    }

    /// Sends `text` whole; false when a hook stopped it or the network refused it (logged).
    /// - Parameter names: people of the conversation, beside the channel's members, whom the
    ///   text could highlight.
    @discardableResult
    func say(_ text: String, to address: Address, names: [String] = []) async -> Bool {
        guard var writer = await writer(to: address, names: names) else { return false }
        do {
            return try await writer.sendWhole(text)
        } catch let error as DeliveryError {
            logger.error("could not send", metadata: ["bot.channel": "\(address.channel)", "error": "\(error.underlying)"])
            return false
        } catch {
            return false
        }
    }

    /// A writer for one reply streamed to `address`; nil when the channel's network has no
    /// connector.
    func writer(to address: Address, names: [String] = []) async -> ReplyWriter? {
        guard let connector = connectors[address.channel.network] else {
            logger.error("no connector for the network", metadata: ["bot.channel": "\(address.channel)"])
            return nil
        }
        let policy = policies.policy(for: address.channel, isDirect: address.isDirect)
        let template = OutboundMessage(
            channel: address.channel, text: "", style: policy.replyStyle ?? connector.capabilities.defaultStyle,
            thread: address.thread, replyTo: address.replyTo, recipient: address.recipient)
        let members = await connector.members(of: address.channel)
        let report = self.report
        let channel = address.channel
        return ReplyWriter(
            connector: connector, outbound: pipeline, template: template,
            review: OutboundReview(channel: channel, isDirect: address.isDirect, knownNames: Self.distinct(names + members)), clock: clock,
            report: { verdict, hook in await report(verdict, hook, channel) })
    }

    /// `names` without repeats, ignoring case, in order.
    static func distinct(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { !$0.isEmpty && seen.insert($0.lowercased()).inserted }
    }
}
