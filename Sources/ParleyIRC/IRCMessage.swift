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
    ///
    /// The grammar is byte-oriented, so the line is cut at its ASCII separators (space, `:`, `@`,
    /// `;`, `=`) by UTF-8 byte, never by Character: a space or colon followed by a combining mark,
    /// a zero-width joiner or a variation selector is still a separator.
    public init(parsing line: String) throws(IRCParseError) {
        let bytes = line.utf8
        var index = bytes.startIndex
        func skipSpaces() { while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index = bytes.index(after: index) } }
        func word() -> Substring.UTF8View {
            let start = index
            while index < bytes.endIndex, bytes[index] != UInt8(ascii: " ") { index = bytes.index(after: index) }
            return Substring(line).utf8[start..<index]
        }

        var tags: [String: String] = [:]
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "@") {
            index = bytes.index(after: index)
            for item in IRCText.fields(word(), separator: ";") where !item.isEmpty {
                let (key, value) = IRCText.keyAndValue(item)
                guard !key.isEmpty else { continue }
                tags[key] = value.map(Self.unescapeTagValue) ?? ""
            }
            skipSpaces()
        }
        var source: IRCSource?
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ":") {
            index = bytes.index(after: index)
            let raw = word()
            guard !raw.isEmpty else { throw IRCParseError(line: line, reason: .emptySource) }
            source = IRCSource(parsing: IRCText.string(raw))
            skipSpaces()
        }
        let command = word()
        guard !command.isEmpty else { throw IRCParseError(line: line, reason: .missingCommand) }
        guard command.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw IRCParseError(line: line, reason: .invalidCommand(IRCText.string(command)))
        }
        var parameters: [String] = []
        while true {
            skipSpaces()
            if index == bytes.endIndex { break }
            if bytes[index] == UInt8(ascii: ":") {
                parameters.append(IRCText.string(Substring(line).utf8[bytes.index(after: index)...]))
                break
            }
            parameters.append(IRCText.string(word()))
        }
        self.init(tags: tags, source: source, IRCText.string(command), parameters)
    }

    /// The line to write, without CR-LF.
    ///
    /// - Parameter limit: the most bytes of the line without its tags, CR-LF included: 512, or
    ///   what the server advertises as `LINELEN`.
    /// - Throws: `IRCEncodingError` when a parameter holds CR, LF or NUL, a middle parameter is
    ///   empty, holds a space or starts with a colon, or the line (without tags) would exceed
    ///   `limit`.
    public func serialized(limit: Int = maxLineBytes) throws(IRCEncodingError) -> String {
        guard !command.isEmpty, command.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw .invalidCommand(command)
        }
        let splitsTheLine: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\r" || $0 == "\n" || $0 == "\0" }
        if let key = tags.keys.first(where: { $0.isEmpty || $0.unicodeScalars.contains { splitsTheLine($0) || $0 == "=" || $0 == ";" } }) {
            throw .invalidPrefix(key)
        }
        if let source, source.description.isEmpty || source.description.unicodeScalars.contains(where: splitsTheLine) {
            throw .invalidPrefix(source.description)
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
            // By byte, as the parser reads it: a space followed by a combining mark is a space.
            let needsTrailing = parameter.isEmpty || parameter.utf8.first == UInt8(ascii: ":") || parameter.utf8.contains(UInt8(ascii: " "))
            if isLast && needsTrailing {
                line += " :" + parameter
            } else if needsTrailing {
                throw .invalidMiddleParameter(index: index)
            } else {
                line += " " + parameter
            }
        }
        let bytes = line.utf8.count - tagBytes + 2
        guard bytes <= limit else { throw .tooLong(bytes: bytes, limit: limit) }
        return line
    }

    // MARK: Tag escaping (IRCv3 message-tags)

    /// `\:` → `;`, `\s` → space, `\\` → `\`, `\r` → CR, `\n` → LF; any other escaped character
    /// stands for itself, and a lone trailing backslash is dropped.
    static func unescapeTagValue(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        var escaping = false
        for scalar in value.unicodeScalars {
            if escaping {
                switch scalar {
                case ":": out.append(";")
                case "s": out.append(" ")
                case "r": out.append("\r")
                case "n": out.append("\n")
                default: out.append(scalar)
                }
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                out.append(scalar)
            }
        }
        return String(out)
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
        let (rest, host) = IRCText.split(raw, at: "@")
        let (nick, user) = IRCText.split(rest, at: "!")
        self.init(nick: nick, user: user, host: host)
    }

    public var description: String {
        nick + (user.map { "!" + $0 } ?? "") + (host.map { "@" + $0 } ?? "")
    }
}
