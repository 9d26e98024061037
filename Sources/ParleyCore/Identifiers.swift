/// The name of a configured network (`libera`, `matrix`, `console`), as the config spells it.
public struct NetworkID: Hashable, Sendable, Comparable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: NetworkID, rhs: NetworkID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A stable identifier of a person on one network, chosen by the connector
/// (an IRC services account or nick, a Matrix user id).
public struct UserID: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}

/// A connector's identifier for one message (an IRC msgid tag, a Matrix event id).
public struct MessageID: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}

/// The root of a thread a message belongs to (a Matrix thread root event id).
public struct ThreadID: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}

/// One conversation place: a channel, a room, or a direct conversation, on one network.
public struct ChannelKey: Hashable, Sendable, CustomStringConvertible {
    public var network: NetworkID
    /// The channel as the network names it: `#parley`, `!room:example.org`, or the peer of a
    /// direct conversation.
    public var channel: String

    public init(network: NetworkID, channel: String) {
        self.network = network
        self.channel = channel
    }

    public var description: String { "\(network)/\(channel)" }
}
