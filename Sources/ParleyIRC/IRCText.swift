/// Text on IRC: decoding what servers send, cutting it where the grammar does, and the network's
/// case folding.
///
/// IRC's grammar is bytes: its separators are ASCII, and a separator followed by a combining
/// mark, a zero-width joiner or an emoji modifier is still a separator. Swift's `split` and
/// `firstIndex(of:)` on a String work on Characters (grapheme clusters), which would merge the two
/// and miss the separator, so everything that cuts server input here works on UTF-8 bytes or
/// scalars. A cut at an ASCII byte is always on a scalar boundary.
enum IRCText {
    /// The pieces of `text` between `separator`s, empty ones included (as `split` with
    /// `omittingEmptySubsequences: false`).
    static func fields(_ text: some StringProtocol, separator: Unicode.Scalar, maxSplits: Int = .max) -> [String] {
        fields(Substring(text).utf8, separator: separator, maxSplits: maxSplits)
    }

    static func fields(_ bytes: Substring.UTF8View, separator: Unicode.Scalar, maxSplits: Int = .max) -> [String] {
        precondition(separator.isASCII)
        let mark = UInt8(separator.value)
        var out: [String] = []
        var start = bytes.startIndex
        var index = start
        while index < bytes.endIndex {
            if bytes[index] == mark && out.count < maxSplits {
                out.append(string(bytes[start..<index]))
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        out.append(string(bytes[start..<bytes.endIndex]))
        return out
    }

    /// The non-empty words of a space-separated list (a capability list, a NAMES reply).
    static func words(_ text: some StringProtocol) -> [String] {
        fields(text, separator: " ").filter { !$0.isEmpty }
    }

    /// `key=value` → (key, value); `key` → (key, nil). Never fails, whatever the item holds.
    static func keyAndValue(_ item: some StringProtocol, separator: Unicode.Scalar = "=") -> (key: String, value: String?) {
        let parts = fields(item, separator: separator, maxSplits: 1)
        return (parts.first ?? "", parts.count > 1 ? parts[1] : nil)
    }

    /// `text` cut at the first `separator`: what comes before, and what comes after (nil when
    /// the separator is not there).
    static func split(_ text: String, at separator: Unicode.Scalar) -> (String, String?) {
        let (before, after) = keyAndValue(text, separator: separator)
        return (before, after)
    }

    /// The text of a slice of bytes cut at ASCII separators (so valid UTF-8 if the line was).
    static func string(_ bytes: Substring.UTF8View) -> String {
        String(Substring(bytes))
    }

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
