public import Foundation
public import Logging
public import ParleyCore

/// One IRC network for the bot: connects (TLS by default), registers, joins its channels, hands
/// chat to the core and writes replies, and reconnects by itself with exponential backoff and
/// jitter whenever the connection is lost.
public final class IRCConnector: Connector {
    public let configuration: IRCConnectorConfiguration
    public var network: NetworkID { configuration.network }
    public let capabilities: ConnectorCapabilities
    private let logger: Logger
    private let clock: any MonotonicClock
    /// Wall-clock time, for STS policies' expiry (tests drive it).
    private let now: @Sendable () -> Date
    private let open: @Sendable (IRCEndpoint) async throws -> any IRCByteStream
    private let stsStore: (any STSPolicyStore)?
    private let current = Locked<IRCSession?>(nil)
    /// Connections opened so far; each session's made-up message ids carry its number.
    private let connections = Locked(0)
    /// Tells this connector's made-up message ids from another process's (a restart): without
    /// it, the first message of every connection would get the same id.
    private let idTag = String(UInt32.random(in: .min ... .max), radix: 36)
    /// The channels to be in: the configuration's, until a reload replaces them.
    private let channels: Locked<[IRCSessionConfiguration.Channel]>

    /// - Parameter open: opens the byte stream; by default a TCP or TLS socket (tests pass an
    ///   in-memory server).
    public init(
        configuration: IRCConnectorConfiguration,
        logger: Logger,
        clock: any MonotonicClock = SystemMonotonicClock(),
        stsStore: (any STSPolicyStore)? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        open: (@Sendable (IRCEndpoint) async throws -> any IRCByteStream)? = nil
    ) {
        self.now = now
        self.configuration = configuration
        self.channels = Locked(configuration.session.channels)
        self.logger = logger
        self.clock = clock
        self.stsStore = stsStore
        self.open = open ?? { try await SocketTransport.connect(to: $0) }
        capabilities = ConnectorCapabilities(
            maxMessageBytes: nil, streaming: .lines, supportsThreads: false, actions: [.kick, .ban, .quiet],
            defaultStyle: configuration.replyStyle)
    }

    public func run(events: ConnectorEvents) async throws {
        var failures = 0
        var upgradePort: Int?
        while !Task.isCancelled {
            let endpoint = await effectiveEndpoint(upgradePort: upgradePort)
            if endpoint.tls?.verification == IRCEndpoint.TLSSettings.Verification.none {
                logger.warning("TLS certificate verification is off for this network (tls.verify: false); anyone on the path can read and change the traffic", metadata: ["irc.host": "\(endpoint.host)"])
            } else if endpoint.tls == nil {
                logger.warning("connecting without TLS (tls: false): passwords and messages cross the network in clear", metadata: ["irc.host": "\(endpoint.host)"])
            }
            var outcome: IRCDisconnect?
            var failure: String?
            do {
                logger.info("connecting", metadata: ["irc.host": "\(endpoint.host)", "irc.port": "\(endpoint.port)"])
                if configuration.flood.isOff {
                    logger.warning("flood control is off: the network must exempt the bot from its flood limits, or it will disconnect the bot for flooding")
                }
                let stream = try await open(endpoint)
                var sessionConfiguration = configuration
                sessionConfiguration.session.channels = channels.withLock { $0 }
                let connection = connections.withLock { $0 += 1; return $0 }
                let session = IRCSession(
                    stream: stream, configuration: sessionConfiguration, endpoint: endpoint, stsStore: stsStore, events: events,
                    clock: clock, now: now, logger: logger, madeUpIDPrefix: "irc-\(network)-\(idTag)-\(connection)-")
                current.withLock { $0 = session }
                outcome = await session.run()
                let registered = await session.isRegistered
                current.withLock { $0 = nil }
                if registered { failures = 0 }
            } catch {
                failure = "\(error)"
                logger.warning("connection failed", metadata: ["irc.error": "\(error)"])
            }
            if Task.isCancelled { break }
            if case .stsUpgrade(let port)? = outcome?.reason {
                logger.info("upgrading to TLS as the server's STS policy requires", metadata: ["irc.port": "\(port)"])
                upgradePort = port
                continue
            }
            if let outcome { logger.warning("disconnected", metadata: ["irc.reason": "\(outcome)"]) }
            events.emit(.state(network, .reconnecting(reason: outcome.map { "\($0)" } ?? failure ?? "the connection ended")))
            ParleyMetric.reconnects.increment([("network", network.rawValue)])
            failures += 1
            let delay = Self.backoff(after: failures, base: configuration.reconnectDelay, cap: configuration.maxReconnectDelay, ban: outcome?.isBan ?? false)
            logger.info("reconnecting later", metadata: ["irc.delay": "\(delay)"])
            try? await clock.sleep(for: delay)
        }
    }

    /// The configured endpoint, unless it is plaintext and STS says otherwise: a server that told
    /// this process to upgrade, or a stored policy that has not expired, means TLS (fully
    /// verified) on the policy's port. There is no fallback to plaintext while a policy holds.
    func effectiveEndpoint(upgradePort: Int?) async -> IRCEndpoint {
        var endpoint = configuration.endpoint
        guard endpoint.tls == nil else { return endpoint }
        var port = upgradePort
        if port == nil, let stsStore {
            do {
                if let policy = try await stsStore.policy(for: endpoint.host), policy.expires > now() { port = policy.port }
            } catch {
                logger.warning("could not read the STS policies", metadata: ["irc.error": "\(error)"])
            }
        }
        if let port {
            endpoint.tls = configuration.stsTLS
            endpoint.port = port
        }
        return endpoint
    }

    /// The reconnect delay (`Backoff`); a ban waits the cap.
    static func backoff(after failures: Int, base: Duration, cap: Duration, ban: Bool) -> Duration {
        ban ? cap : Backoff(base: base, cap: cap).delay(after: failures)
    }

    public func send(_ message: OutboundMessage) async throws {
        guard let session = current.withLock({ $0 }) else { throw ConnectorError.notConnected(network) }
        // IRC streams whole lines (`.lines`): fragments, drafts and empty ends never come here,
        // and would not be sent if they did.
        guard message.part == .complete || (message.part == .end && !message.text.isEmpty) else { return }
        try await session.deliver(message)
    }

    public func drain() async {
        guard let session = current.withLock({ $0 }) else { return }
        await session.drained()
    }

    /// Joins the channels added and parts those removed, on the connection as it is (and on
    /// every later one): a reload that changes only the channels makes no new connection.
    public func replaceChannels(_ channels: [IRCSessionConfiguration.Channel]) async {
        self.channels.withLock { $0 = channels }
        guard let session = current.withLock({ $0 }) else { return }
        await session.replaceChannels(channels)
    }

    public func members(of channel: ChannelKey) async -> [String] {
        guard let session = current.withLock({ $0 }) else { return [] }
        return await session.members(of: channel.channel)
    }

    public func perform(_ action: ModerationAction, in channel: ChannelKey) async throws {
        guard let session = current.withLock({ $0 }) else { throw ConnectorError.notConnected(network) }
        try await session.perform(action, in: channel.channel)
    }
}
