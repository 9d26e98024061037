/// An identifier that is a string underneath but a type of its own, so that a user id is never
/// passed where a message id belongs.
public protocol StringIdentifier: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    var rawValue: String { get }
    init(_ rawValue: String)
}

extension StringIdentifier {
    public init(stringLiteral value: String) { self.init(value) }
    public var description: String { rawValue }
}

/// The name of a configured network (`libera`, `matrix`, `console`), as the config spells it.
public struct NetworkID: StringIdentifier, Comparable, Codable {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public static func < (lhs: NetworkID, rhs: NetworkID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The name of a configured generation backend (`local`, `hosted`), as the config spells it.
public struct BackendName: StringIdentifier, Comparable {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public static func < (lhs: BackendName, rhs: BackendName) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A stable identifier of a person on one network, chosen by the connector
/// (an IRC services account or nick, a Matrix user id).
public struct UserID: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A connector's identifier for one message (an IRC msgid tag, a Matrix event id).
public struct MessageID: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// The root of a thread a message belongs to (a Matrix thread root event id).
public struct ThreadID: StringIdentifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// One conversation place: a channel, a room, or a direct conversation, on one network.
public struct ChannelKey: Hashable, Sendable, Codable, CustomStringConvertible {
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
