/// A line from the server that is not an IRC message. The connection goes on; the line is
/// logged and skipped.
public struct IRCParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        case missingCommand
        case invalidCommand(String)
        case emptySource
    }

    /// The line, cut to a readable length.
    public var line: String
    public var reason: Reason

    init(line: String, reason: Reason) {
        self.line = String(line.prefix(200))
        self.reason = reason
    }

    public var description: String {
        let what = switch reason {
        case .missingCommand: "no command"
        case .invalidCommand(let command): "invalid command '\(command)'"
        case .emptySource: "an empty source after ':'"
        }
        return "malformed IRC line (\(what)): \(line)"
    }
}

/// A message Parley was about to write that would not be one well-formed IRC line. It is never
/// sent; the caller logs it.
public enum IRCEncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidCommand(String)
    /// A parameter holds CR, LF or NUL, which would end the line or corrupt it.
    case forbiddenCharacter(parameter: Int)
    /// A parameter before the last is empty, starts with ':' or holds a space.
    case invalidMiddleParameter(index: Int)
    /// The source or a tag's key holds a space, CR, LF or NUL (a tag's key also '=' or ';'):
    /// it would split the line.
    case invalidPrefix(String)
    case tooLong(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidCommand(let command): "'\(command)' is not an IRC command"
        case .forbiddenCharacter(let index): "parameter \(index) holds CR, LF or NUL"
        case .invalidMiddleParameter(let index): "parameter \(index) cannot be a middle parameter"
        case .invalidPrefix(let prefix): "'\(prefix.debugDescription)' cannot be a source or a tag's key"
        case .tooLong(let bytes, let limit): "the line would be \(bytes) bytes, over the limit of \(limit)"
        }
    }
}
