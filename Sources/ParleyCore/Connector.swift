import Synchronization

/// A network Parley talks on: IRC, Matrix, the console.
///
/// A connector owns its transport. `run(events:)` connects, reconnects by itself, and hands every
/// inbound event to `events` until the task is cancelled. `send(_:)` may be called concurrently
/// from many sessions; the connector serialises and paces its own output.
public protocol Connector: Sendable {
    var network: NetworkID { get }
    var capabilities: ConnectorCapabilities { get }

    /// Runs until cancelled (or, for a finite input such as a piped console, until it ends).
    func run(events: ConnectorEvents) async throws

    /// Delivers one outbound message: returns once it has gone out, or once the connector has
    /// taken it on a path that delivers it exactly once (Matrix: a send in flight, retried by
    /// transaction id; the question it answers is settled after it ends). A failure after that
    /// is the connector's to log.
    func send(_ message: OutboundMessage) async throws

    /// Performs a moderation action in a channel, where the bot holds the right to.
    func perform(_ action: ModerationAction, in channel: ChannelKey) async throws

    /// The bot is done with `message`: it was answered, refused, or asked for nothing. A
    /// connector whose network redelivers input (Matrix) marks it handled here, durably. Not
    /// called for a message whose work was cut short by shutdown: it stays for the next start.
    func settled(_ message: InboundMessage) async

    /// The names people in `channel` go by as far as the connector knows (IRC NAMES, JOIN, PART,
    /// NICK; Matrix members): what a reply could highlight. Empty when it does not know.
    func members(of channel: ChannelKey) async -> [String]

    /// Shutdown is coming: returns once what was handed to `send` has gone out (IRC's paced
    /// lines). The bot calls it after the last reply and before it cancels `run`.
    func drain() async
}

extension Connector {
    public func settled(_ message: InboundMessage) async {}

    public func members(of channel: ChannelKey) async -> [String] { [] }

    public func drain() async {}

    public func perform(_ action: ModerationAction, in channel: ChannelKey) async throws {
        throw ConnectorError.unsupportedAction(action, network: network)
    }
}

/// What a connector can do, which drives how the core delivers a streamed reply.
public struct ConnectorCapabilities: Sendable, Hashable {
    /// How a reply being generated reaches people.
    public enum Streaming: Sendable, Hashable {
        /// Once, when complete.
        case whole
        /// A line at a time, as each line completes (IRC).
        case lines
        /// Token by token, as fragments (the console).
        case fragments
        /// A first part, then edits of it carrying the whole reply so far, at most one per
        /// `interval`; the last edit always carries the complete reply (Matrix `m.replace`). The
        /// first part waits until the reply has been under way for `hold`, so that a reply that is
        /// done by then goes out once, whole, with no edit.
        case edits(interval: Duration, hold: Duration = .zero)
    }

    /// The most bytes of text one outbound message may carry, if the network limits it.
    public var maxMessageBytes: Int?
    public var streaming: Streaming
    public var supportsThreads: Bool
    /// The moderation actions the connector can perform at all (the bot's rights are checked then).
    public var actions: Set<ModerationAction.Kind>
    /// How the bot speaks on this network unless a channel's `reply_as` says otherwise (the
    /// network's `reply_with`); the core decides each message's style, the connector obeys it.
    public var defaultStyle: OutboundMessage.Style

    public init(
        maxMessageBytes: Int? = nil,
        streaming: Streaming = .whole,
        supportsThreads: Bool = false,
        actions: Set<ModerationAction.Kind> = [],
        defaultStyle: OutboundMessage.Style = .message
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.streaming = streaming
        self.supportsThreads = supportsThreads
        self.actions = actions
        self.defaultStyle = defaultStyle
    }
}

/// How a network is doing, as `!status` reports it.
public enum NetworkState: Sendable, Hashable, CustomStringConvertible {
    case connecting
    case up
    /// The connection was lost or refused; the connector is trying again by itself.
    case reconnecting(reason: String)
    /// Stopped by an error its connector cannot get past alone (a revoked token, a wrong
    /// account): the bot retries it on its own schedule, and every other network goes on.
    case down(reason: String)

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .up: "up"
        case .reconnecting(let reason): "reconnecting (\(reason))"
        case .down(let reason): "down (\(reason))"
        }
    }
}

/// Something a connector reports to the bot.
public enum ConnectorEvent: Sendable {
    case message(InboundMessage)
    /// The network's state changed (connected, lost, reconnecting).
    case state(NetworkID, NetworkState)
    /// Someone other than the bot joined or left a channel the bot is in.
    case membership(ChannelKey, Sender, MembershipChange)
    /// A message was edited or removed after it was sent (Matrix `m.replace`, redactions).
    case revised(ChannelKey, MessageID, MessageRevision)
    /// The connector's input has ended for good (a console at end of file); the bot finishes the
    /// work it has and stops if it was asked to stop with its input.
    case inputEnded(NetworkID)
}

/// Where a connector hands its inbound events; the bot owns the other end.
///
/// Emitting never blocks and never drops. A connector that can slow its source (a socket it
/// reads) awaits `roomForMore()` before it reads on, so when the bot falls behind, what is
/// buffered stays bounded: the backlog's limit in events here, the kernel's socket buffer beyond.
public struct ConnectorEvents: Sendable {
    private let continuation: AsyncStream<ConnectorEvent>.Continuation
    private let backlog: EventBacklog?

    public init(_ continuation: AsyncStream<ConnectorEvent>.Continuation, backlog: EventBacklog? = nil) {
        self.continuation = continuation
        self.backlog = backlog
    }

    public func emit(_ event: ConnectorEvent) {
        backlog?.added()
        continuation.yield(event)
    }

    /// Returns once the bot has fewer than its limit of events waiting (at once without a
    /// backlog, or when the task is cancelled).
    public func roomForMore() async {
        await backlog?.waitForRoom()
    }
}

/// The events emitted and not yet taken by the bot, with the tasks waiting for room.
public final class EventBacklog: Sendable {
    public let limit: Int
    private let waiting = Atomic<Int>(0)
    private let room = WaitList()

    public init(limit: Int = 256) {
        self.limit = max(1, limit)
    }

    /// Events waiting now.
    public var count: Int { waiting.load(ordering: .acquiring) }

    func added() {
        waiting.add(1, ordering: .releasing)
    }

    /// The bot took one event off the stream.
    public func taken() {
        let (_, now) = waiting.subtract(1, ordering: .acquiringAndReleasing)
        if now < limit { room.releaseAll() }
    }

    /// Returns once fewer than `limit` events wait, or the task is cancelled.
    func waitForRoom() async {
        while !Task.isCancelled {
            // The generation first: a `taken()` between the check and the wait is not missed.
            let generation = room.generation
            guard count >= limit else { return }
            await room.wait(since: generation)
        }
    }
}

/// Someone joined a channel, or left it (parted, was kicked, quit the network).
/// What became of a message after it was sent.
public enum MessageRevision: Sendable, Hashable {
    /// Its text was replaced by `author`; the bot honours only its author's edits.
    case edited(text: String, by: UserID)
    /// It was removed (by its author or a moderator, as the network allows).
    case redacted
}

public enum MembershipChange: String, Sendable, Hashable {
    case joined, left
}
