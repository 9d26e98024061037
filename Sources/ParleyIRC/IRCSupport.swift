/// What the server says it supports (numeric 005, ISUPPORT), with RFC defaults until it does.
public struct IRCSupport: Sendable, Hashable {
    public var caseMapping: IRCCaseMapping = .rfc1459
    /// Characters that start a channel name.
    public var channelTypes: Set<Character> = ["#", "&"]
    /// Channel membership prefixes, highest first: mode letter and the symbol shown in NAMES.
    public var prefixes: [(mode: Character, symbol: Character)] = [("o", "@"), ("v", "+")]
    public var nickLength: Int?
    public var channelLength: Int?
    /// The most bytes of a line, CR-LF included (`LINELEN`).
    public var lineLength = IRCMessage.maxLineBytes
    /// The most targets per command (`TARGMAX`); nil for a command it does not name, and a
    /// command named without a number has no limit.
    public var targetLimits: [String: Int?] = [:]
    /// Whether the server answers WHO with WHOX fields (`%tnuhaf,…`), which give accounts.
    public var whox = false
    /// The raw tokens, for anything not modelled above.
    public var tokens: [String: String] = [:]

    public init() {}

    /// Applies the tokens of one 005 reply (`<nick> TOKEN TOKEN=value -TOKEN :are supported`).
    public mutating func apply(_ message: IRCMessage) {
        guard message.command == "005", message.parameters.count >= 3 else { return }
        for token in message.parameters.dropFirst().dropLast() {
            if token.hasPrefix("-") {
                reset(String(token.dropFirst()))
                continue
            }
            let (name, rawValue) = IRCText.keyAndValue(token)
            let key = name.uppercased()
            guard !key.isEmpty else { continue }
            let value = rawValue.map { IRCMessage.unescapeISupportValue(Substring($0)) } ?? ""
            tokens[key] = value
            switch key {
            case "CASEMAPPING":
                caseMapping = IRCCaseMapping(rawValue: value.lowercased()) ?? (value.lowercased() == "rfc7613" ? .ascii : .rfc1459)
            case "CHANTYPES":
                channelTypes = Set(value)
            case "PREFIX":
                // (modes)symbols, e.g. (qaohv)~&@%+
                if value.first == "(", let close = value.firstIndex(of: ")") {
                    let modes = value[value.index(after: value.startIndex)..<close]
                    let symbols = value[value.index(after: close)...]
                    if modes.count == symbols.count { prefixes = Array(zip(modes, symbols)) }
                } else if value.isEmpty {
                    prefixes = []
                }
            case "NICKLEN": nickLength = Int(value)
            case "CHANNELLEN": channelLength = Int(value)
            case "LINELEN": lineLength = Int(value).map { max(IRCMessage.maxLineBytes, $0) } ?? IRCMessage.maxLineBytes
            case "TARGMAX":
                for item in IRCText.fields(value, separator: ",") {
                    let (command, limit) = IRCText.keyAndValue(item, separator: ":")
                    guard !command.isEmpty else { continue }
                    targetLimits[command.uppercased()] = limit.flatMap { Int($0) }
                }
            case "WHOX": whox = true
            default: break
            }
        }
    }

    private mutating func reset(_ key: String) {
        let defaults = IRCSupport()
        tokens[key.uppercased()] = nil
        switch key.uppercased() {
        case "CASEMAPPING": caseMapping = defaults.caseMapping
        case "CHANTYPES": channelTypes = defaults.channelTypes
        case "PREFIX": prefixes = defaults.prefixes
        case "NICKLEN": nickLength = nil
        case "CHANNELLEN": channelLength = nil
        case "LINELEN": lineLength = defaults.lineLength
        case "TARGMAX": targetLimits = [:]
        case "WHOX": whox = false
        default: break
        }
    }

    public func isChannel(_ name: String) -> Bool {
        name.first.map(channelTypes.contains) ?? false
    }

    /// The membership symbols (`@`, `+`…) a NAMES entry may start with.
    public var prefixSymbols: Set<Character> { Set(prefixes.map(\.symbol)) }

    public static func == (a: IRCSupport, b: IRCSupport) -> Bool {
        a.tokens == b.tokens && a.caseMapping == b.caseMapping && a.channelTypes == b.channelTypes
            && a.prefixes.map(\.mode) == b.prefixes.map(\.mode) && a.prefixes.map(\.symbol) == b.prefixes.map(\.symbol)
            && a.nickLength == b.nickLength && a.channelLength == b.channelLength && a.lineLength == b.lineLength
            && a.targetLimits == b.targetLimits && a.whox == b.whox
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(tokens)
    }
}

extension IRCMessage {
    /// ISUPPORT values escape bytes as `\xHH` (only `\x20`, `\x5C` and `\x3D` in practice).
    static func unescapeISupportValue(_ value: Substring) -> String {
        let bytes = Array(value.utf8)
        guard bytes.contains(UInt8(ascii: "\\")) else { return String(value) }
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.count, bytes[index + 1] == UInt8(ascii: "x"),
               let byte = UInt8(String(decoding: bytes[index + 2...index + 3], as: UTF8.self), radix: 16) {
                out.append(byte)
                index += 4
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return IRCText.decode(out)
    }
}
