/// One IRC protocol message: RFC 1459/2812 framing with IRCv3 message tags.
///
/// `@tags :source COMMAND middle middle :trailing`. Parsing is lenient where servers are
/// (runs of spaces, a missing trailing colon, any parameter count); serialising is strict: what
/// Parley writes is always one well-formed line, and nothing in a parameter can end it early.
public struct IRCMessage: Sendable, Hashable {
    /// IRCv3 tags, values unescaped; a tag without a value maps to "".
    public var tags: [String: String]
    public var source: IRCSource?
    /// The command, upper-cased, or a three-digit numeric.
    public var command: String
    public var parameters: [String]

    public init(tags: [String: String] = [:], source: IRCSource? = nil, _ command: String, _ parameters: [String] = []) {
        self.tags = tags
        self.source = source
        self.command = command.uppercased()
        self.parameters = parameters
    }

    /// The most bytes of a line without its tags, CR-LF included (RFC 1459).
    public static let maxLineBytes = 512

    /// Parses one line (without its line ending).
    public init(parsing line: String) throws(IRCParseError) {
        var rest = Substring(line)
        func skipSpaces() { rest = rest.drop(while: { $0 == " " }) }
        func word() -> Substring {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            defer { rest = rest[end...] }
            return rest[..<end]
        }

        var tags: [String: String] = [:]
        if rest.first == "@" {
            rest = rest.dropFirst()
            for item in word().split(separator: ";", omittingEmptySubsequences: true) {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(parts[0])
                guard !key.isEmpty else { continue }
                tags[key] = parts.count > 1 ? Self.unescapeTagValue(parts[1]) : ""
            }
            skipSpaces()
        }
        var source: IRCSource?
        if rest.first == ":" {
            rest = rest.dropFirst()
            let raw = word()
            guard !raw.isEmpty else { throw IRCParseError(line: line, reason: .emptySource) }
            source = IRCSource(parsing: String(raw))
            skipSpaces()
        }
        let command = word()
        guard !command.isEmpty else { throw IRCParseError(line: line, reason: .missingCommand) }
        guard command.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw IRCParseError(line: line, reason: .invalidCommand(String(command)))
        }
        var parameters: [String] = []
        while true {
            skipSpaces()
            if rest.isEmpty { break }
            if rest.first == ":" {
                parameters.append(String(rest.dropFirst()))
                break
            }
            parameters.append(String(word()))
        }
        self.init(tags: tags, source: source, String(command), parameters)
    }

    /// The line to write, without CR-LF.
    ///
    /// - Throws: `IRCEncodingError` when a parameter holds CR, LF or NUL, a middle parameter is
    ///   empty, holds a space or starts with a colon, or the line (without tags) would exceed
    ///   `maxLineBytes`.
    public func serialized() throws(IRCEncodingError) -> String {
        guard !command.isEmpty, command.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw .invalidCommand(command)
        }
        var line = ""
        if !tags.isEmpty {
            line += "@" + tags.sorted { $0.key < $1.key }.map { key, value in
                value.isEmpty ? key : key + "=" + Self.escapeTagValue(value)
            }.joined(separator: ";") + " "
        }
        let tagBytes = line.utf8.count
        if let source { line += ":" + source.description + " " }
        line += command
        for (index, parameter) in parameters.enumerated() {
            // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
            if parameter.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                throw .forbiddenCharacter(parameter: index)
            }
            let isLast = index == parameters.count - 1
            if isLast && (parameter.isEmpty || parameter.first == ":" || parameter.contains(" ")) {
                line += " :" + parameter
            } else if parameter.isEmpty || parameter.first == ":" || parameter.contains(" ") {
                throw .invalidMiddleParameter(index: index)
            } else {
                line += " " + parameter
            }
        }
        let bytes = line.utf8.count - tagBytes + 2
        guard bytes <= Self.maxLineBytes else { throw .tooLong(bytes: bytes, limit: Self.maxLineBytes) }
        return line
    }

    // MARK: Tag escaping (IRCv3 message-tags)

    /// `\:` → `;`, `\s` → space, `\\` → `\`, `\r` → CR, `\n` → LF; any other escaped character
    /// stands for itself, and a lone trailing backslash is dropped.
    static func unescapeTagValue(_ value: Substring) -> String {
        var out = ""
        var escaping = false
        for character in value {
            if escaping {
                switch character {
                case ":": out.append(";")
                case "s": out.append(" ")
                case "r": out.append("\r")
                case "n": out.append("\n")
                default: out.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func escapeTagValue(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case ";": out += "\\:"
            case " ": out += "\\s"
            case "\\": out += "\\\\"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\0": continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension IRCMessage: CustomStringConvertible {
    public var description: String { (try? serialized()) ?? "\(command) \(parameters)" }
}

/// Who sent a message: a server name, or `nick!user@host` for a client.
public struct IRCSource: Sendable, Hashable, CustomStringConvertible {
    public var nick: String
    public var user: String?
    public var host: String?

    public init(nick: String, user: String? = nil, host: String? = nil) {
        self.nick = nick
        self.user = user
        self.host = host
    }

    public init(parsing raw: String) {
        var rest = Substring(raw)
        var host: Substring?
        if let at = rest.firstIndex(of: "@") {
            host = rest[rest.index(after: at)...]
            rest = rest[..<at]
        }
        var user: Substring?
        if let bang = rest.firstIndex(of: "!") {
            user = rest[rest.index(after: bang)...]
            rest = rest[..<bang]
        }
        self.init(nick: String(rest), user: user.map(String.init), host: host.map(String.init))
    }

    public var description: String {
        nick + (user.map { "!" + $0 } ?? "") + (host.map { "@" + $0 } ?? "")
    }
}
