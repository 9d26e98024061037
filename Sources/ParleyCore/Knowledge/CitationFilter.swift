/// Removes, from a reply as it streams, the citations of passages the model was not given.
///
/// A grounded reply cites in square brackets (`[Billing › Refunds]`); with knowledge on, the
/// prompt keeps brackets for citations. A bracket group whose text is a given passage's title
/// (compared without case or extra spaces) passes; any other is removed with the spaces before
/// it. A Markdown link (`[text](url)`) passes. A group longer than `maxLength` characters or
/// broken by a new line is not a citation and passes as written.
public struct CitationFilter: Sendable {
    public static let maxLength = 160

    private let allowed: Set<String>
    private let markers: Set<String>
    /// Whether a bracket group that is neither a given title nor a marker is removed (with
    /// knowledge on) or passes (a helpdesk channel without knowledge).
    private let removesUnknown: Bool
    /// Spaces seen and not yet written: dropped with a citation that follows them.
    private var spaces = ""
    /// From `[` on, until the group is judged.
    private var group: String?
    /// A closed group waiting for the next character (a `(` makes it a link).
    private var closed: String?
    /// The titles of removed citations, for the log.
    public private(set) var removed: [String] = []
    /// The markers the model wrote (and that were removed).
    public private(set) var markersSeen: Set<String> = []

    /// - Parameter markers: words the model writes in brackets to signal something (`[handoff]`);
    ///   always removed, and reported in `markersSeen`.
    public init(titles: [String], markers: Set<String> = [], removesUnknown: Bool = true) {
        allowed = Set(titles.map(Self.normalized))
        self.markers = Set(markers.map(Self.normalized))
        self.removesUnknown = removesUnknown
    }

    /// What may be written now of `text`, after what came before.
    public mutating func feed(_ text: String) -> String {
        var out = ""
        for character in text { out += take(character) }
        return out
    }

    /// The rest, at the end of the reply.
    public mutating func finish() -> String {
        var out = ""
        if let closed { out += judge(closed) }
        closed = nil
        if let group { out += spaces + group }
        else { out += spaces }
        group = nil
        spaces = ""
        return out
    }

    private mutating func take(_ character: Character) -> String {
        if let pending = closed {
            closed = nil
            if character == "(" { return flushLiteral(pending) + String(character) }
            return judge(pending) + take(character)
        }
        if var current = group {
            current.append(character)
            if character == "]" {
                group = nil
                closed = current
                return ""
            }
            if character == "\n" || character == "[" || current.count > Self.maxLength {
                group = nil
                return flushLiteral(current)
            }
            group = current
            return ""
        }
        if character == "[" {
            group = "["
            return ""
        }
        if character == " " {
            spaces.append(character)
            return ""
        }
        let out = spaces + String(character)
        spaces = ""
        return out
    }

    private mutating func flushLiteral(_ text: String) -> String {
        let out = spaces + text
        spaces = ""
        return out
    }

    private mutating func judge(_ group: String) -> String {
        let title = String(group.dropFirst().dropLast())
        let normalized = Self.normalized(title)
        if markers.contains(normalized) {
            markersSeen.insert(normalized)
            spaces = ""
            return ""
        }
        if allowed.contains(normalized) || !removesUnknown { return flushLiteral(group) }
        removed.append(title)
        spaces = ""
        return ""
    }

    static func normalized(_ title: String) -> String {
        title.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
