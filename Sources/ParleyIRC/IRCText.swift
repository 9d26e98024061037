/// Text on IRC: decoding what servers send, and the network's case folding.
enum IRCText {
    /// Decodes a line's bytes: UTF-8 when they are valid UTF-8 (nearly always), else Windows-1252
    /// (which covers Latin-1), as IRC clients do for the old 8-bit channels. Never fails.
    static func decode(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var text = ""
        text.unicodeScalars.reserveCapacity(bytes.count)
        for byte in bytes {
            let value = (0x80...0x9F).contains(byte) ? windows1252[Int(byte - 0x80)] : UInt32(byte)
            text.unicodeScalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return text
    }

    /// Windows-1252's 0x80–0x9F; the five unassigned bytes map to the C1 code point of the same
    /// value, as WHATWG's decoder does.
    private static let windows1252: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]
}

/// How a network compares nicks and channel names (ISUPPORT `CASEMAPPING`).
public enum IRCCaseMapping: String, Sendable, Hashable {
    /// A–Z only.
    case ascii
    /// A–Z, and `[]\~` as the upper case of `{}|^` (the RFC 1459 default).
    case rfc1459
    /// A–Z and `[]\`, without `~`.
    case strictRFC1459 = "strict-rfc1459"

    /// The folded form; every character maps to one character, so offsets carry over.
    public func fold(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "A"..."Z": out.unicodeScalars.append(Unicode.Scalar(scalar.value + 32)!)
            case "[" where self != .ascii: out.unicodeScalars.append("{")
            case "]" where self != .ascii: out.unicodeScalars.append("}")
            case "\\" where self != .ascii: out.unicodeScalars.append("|")
            case "~" where self == .rfc1459: out.unicodeScalars.append("^")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    public func equal(_ a: String, _ b: String) -> Bool { fold(a) == fold(b) }
}
