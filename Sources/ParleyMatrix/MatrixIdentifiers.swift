/// The Matrix identifiers Parley passes around, each its own type so that a room id cannot be
/// handed where an event id or a user id belongs. They hold what the homeserver sent, as sent
/// (ids are case-sensitive and opaque); `isWellFormed` says whether the shape is right.
public protocol MatrixIdentifier: RawRepresentable<String>, Sendable, Hashable, Comparable, Codable,
    CustomStringConvertible, ExpressibleByStringLiteral {
    init(_ rawValue: String)
    /// The id's first character (`@` for users, `!` for rooms, `$` for events).
    static var sigil: Character { get }
}

extension MatrixIdentifier {
    public init(rawValue: String) { self.init(rawValue) }
    public init(stringLiteral value: String) { self.init(value) }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }

    /// The sigil, then at least one character, and no whitespace or control character (ids
    /// go into URL paths and logs).
    public var isWellFormed: Bool {
        rawValue.first == Self.sigil && rawValue.count > 1
            && !rawValue.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
    }
}

/// `@localpart:server`.
public struct MatrixUserID: MatrixIdentifier {
    public static let sigil: Character = "@"
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// What comes between the `@` and the first `:`; the whole id without its sigil if there is
    /// no `:`.
    public var localpart: String {
        let body = rawValue.hasPrefix("@") ? rawValue.dropFirst() : Substring(rawValue)
        return String(body.prefix { $0 != ":" })
    }

    /// The server name after the first `:`, lowercased; empty if there is none.
    public var server: String {
        guard let colon = rawValue.firstIndex(of: ":") else { return "" }
        return String(rawValue[rawValue.index(after: colon)...]).lowercased()
    }

    /// A user id needs a local part and a server name as well.
    public var isValid: Bool { isWellFormed && !localpart.isEmpty && !server.isEmpty }
}

/// `!opaque:server` (from room version 12, `!opaque` alone).
public struct MatrixRoomID: MatrixIdentifier {
    public static let sigil: Character = "!"
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// `$opaque`.
public struct MatrixEventID: MatrixIdentifier {
    public static let sigil: Character = "$"
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}
