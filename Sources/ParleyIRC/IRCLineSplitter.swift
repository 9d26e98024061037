/// Splits a reply into IRC message bodies that fit a byte budget.
///
/// Each line of the reply (CR-LF, LF or CR end one) becomes its own messages; blank lines are
/// skipped, since IRC cannot carry an empty message. A line longer than the budget breaks at the
/// last space that fits (the space itself is dropped), or, for a word longer than the budget,
/// between two characters (grapheme clusters; between two scalars only for a cluster that alone
/// exceeds the budget), so a code point is never cut. Control characters other than tab never
/// reach the output: IRC formatting codes (bold, colour…) are kept only when `keepFormatting`.
struct IRCLineSplitter {
    /// The most bytes of one body.
    var budget: Int
    var keepFormatting = false

    /// The bodies, in order.
    func split(_ text: String) -> [String] {
        var bodies: [String] = []
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            let clean = sanitise(line)
            guard !clean.allSatisfy({ $0 == " " }) else { continue }
            bodies += wrap(clean)
        }
        return bodies
    }

    /// IRC's formatting codes: bold, colour, hex colour, reset, monospace, reverse, italic,
    /// strikethrough, underline.
    static let formattingCodes: Set<Unicode.Scalar> = ["\u{02}", "\u{03}", "\u{04}", "\u{0F}", "\u{11}", "\u{16}", "\u{1D}", "\u{1E}", "\u{1F}"]

    private func sanitise(_ line: Substring) -> String {
        var out = ""
        for scalar in line.unicodeScalars {
            if scalar == "\t" {
                out.unicodeScalars.append(" ")
            } else if scalar.properties.generalCategory == .control {
                if keepFormatting && Self.formattingCodes.contains(scalar) { out.unicodeScalars.append(scalar) }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private func wrap(_ line: String) -> [String] {
        let budget = max(self.budget, 4)
        var bodies: [String] = []
        var rest = Substring(line)
        while rest.utf8.count > budget {
            let fitting = prefixFitting(rest, budget: budget)
            if let fitting, let space = rest[..<fitting].lastIndex(of: " "), space > rest.startIndex {
                bodies.append(String(rest[..<space]))
                rest = rest[rest.index(after: space)...]
            } else if let fitting {
                bodies.append(String(rest[..<fitting]))
                rest = rest[fitting...]
            } else {
                // One character over the budget on its own: cut it between scalars.
                let scalars = rest.unicodeScalars
                var end = scalars.startIndex
                var bytes = 0
                while end < scalars.endIndex, bytes == 0 || bytes + scalars[end].utf8.count <= budget {
                    bytes += scalars[end].utf8.count
                    end = scalars.index(after: end)
                }
                bodies.append(String(scalars[..<end]))
                rest = Substring(scalars[end...])
            }
        }
        if !rest.isEmpty { bodies.append(String(rest)) }
        return bodies
    }

    /// The end of the longest run of whole characters at the start of `text` within the budget,
    /// or nil when even the first character is over it.
    private func prefixFitting(_ text: Substring, budget: Int) -> Substring.Index? {
        var bytes = 0
        var end = text.startIndex
        for index in text.indices {
            let size = text[index].utf8.count
            if bytes + size > budget { break }
            bytes += size
            end = text.index(after: index)
        }
        return end > text.startIndex ? end : nil
    }
}
