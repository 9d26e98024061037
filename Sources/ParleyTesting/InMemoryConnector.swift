public import ParleyCore

/// A connector for tests: messages pushed in arrive at the bot; what the bot sends is recorded.
public final class InMemoryConnector: Connector {
    public let network: NetworkID
    public let capabilities: ConnectorCapabilities
    private let inbound: AsyncStream<ConnectorEvent>
    private let inboundContinuation: AsyncStream<ConnectorEvent>.Continuation
    private let log = Locked<(sent: [OutboundMessage], actions: [ModerationAction], settled: [MessageID])>(([], [], []))
    private let refusal = Locked<(@Sendable (OutboundMessage) -> (any Error)?)?>(nil)
    private let channelMembers = Locked<[ChannelKey: [String]]>([:])

    public init(network: NetworkID = "test", capabilities: ConnectorCapabilities = ConnectorCapabilities()) {
        self.network = network
        self.capabilities = capabilities
        (inbound, inboundContinuation) = AsyncStream.makeStream(of: ConnectorEvent.self)
    }

    /// Reports itself up, then hands over what is pushed until cancelled.
    public func run(events: ConnectorEvents) async throws {
        events.emit(.state(network, .up))
        for await event in inbound {
            events.emit(event)
        }
    }

    public func send(_ message: OutboundMessage) async throws {
        if let error = refusal.withLock({ $0 })?(message) { throw error }
        log.withLock { $0.sent.append(message) }
    }

    /// From now on, a message for which `refuse` returns an error is not sent and the error is
    /// thrown, as a network that refuses a line would.
    public func refuseSends(_ refuse: @escaping @Sendable (OutboundMessage) -> (any Error)?) {
        refusal.withLock { $0 = refuse }
    }

    public func perform(_ action: ModerationAction, in channel: ChannelKey) async throws {
        log.withLock { $0.actions.append(action) }
    }

    public func settled(_ message: InboundMessage) async {
        log.withLock { $0.settled.append(message.id) }
    }

    public func members(of channel: ChannelKey) async -> [String] {
        channelMembers.withLock { $0[channel] ?? [] }
    }

    /// Sets who is in `channel`, as a network's member list would.
    public func setMembers(_ names: [String], of channel: ChannelKey) {
        channelMembers.withLock { $0[channel] = names }
    }

    /// Delivers a message to the bot as if it came from the network.
    public func push(_ message: InboundMessage) {
        inboundContinuation.yield(.message(message))
    }

    /// Reports anything else as the network would (someone joining, a state change).
    public func report(_ event: ConnectorEvent) {
        inboundContinuation.yield(event)
    }

    /// Ends the input, as a console at end of file does.
    public func endInput() {
        inboundContinuation.yield(.inputEnded(network))
    }

    /// Everything sent so far, in order.
    public var sent: [OutboundMessage] { log.withLock { $0.sent } }

    /// The messages the bot has said it is done with, in the order it said so.
    public var settledMessages: [MessageID] { log.withLock { $0.settled } }

    /// Every moderation action performed so far.
    public var actions: [ModerationAction] { log.withLock { $0.actions } }
}
