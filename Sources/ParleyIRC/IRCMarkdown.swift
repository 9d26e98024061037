/// The Markdown models write, made readable on IRC: `**bold**`, `*italic*` and `` `code` `` as
/// IRC's bold, italic and monospace codes (`format`) or without their markers (`strip`);
/// headings in bold, list bullets as `•`, links as `text (url)`, and a fenced code block as its
/// plain lines, fences dropped. `keep` sends the text as written.
///
/// A reply reaches the connector a line at a time, so whether a line is inside a code block is
/// state the caller keeps per reply (`inCodeBlock`).
public enum IRCMarkdown: String, Sendable, Hashable, CaseIterable {
    case format, strip, keep

    static let bold: Unicode.Scalar = "\u{02}"
    static let italic: Unicode.Scalar = "\u{1D}"
    static let monospace: Unicode.Scalar = "\u{11}"

    /// One line as IRC shows it; nil for a line that is dropped (a fence).
    func render(line: String, inCodeBlock: inout Bool) -> String? {
        guard self != .keep else { return line }
        let trimmed = line.drop { $0 == " " }
        if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
            inCodeBlock.toggle()
            return nil
        }
        if inCodeBlock { return line }
        if let heading = Self.heading(trimmed) { return wrap(inline(heading), in: Self.bold) }
        if let (indent, item) = Self.bullet(line) { return indent + "• " + inline(item) }
        return inline(Substring(line))
    }

    /// `# Title` … `###### Title`: the title.
    private static func heading(_ line: Substring) -> Substring? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return line.dropFirst(hashes + 1)
    }

    /// `- item`, `* item`, `+ item`: the indentation and the item.
    private static func bullet(_ line: String) -> (String, Substring)? {
        let indent = line.prefix { $0 == " " }
        let rest = line.dropFirst(indent.count)
        guard let marker = rest.first, "-*+".contains(marker), rest.dropFirst().first == " " else { return nil }
        return (String(indent), rest.dropFirst(2))
    }

    private func wrap(_ text: String, in code: Unicode.Scalar) -> String {
        self == .format ? String(code) + text + String(code) : text
    }

    /// Code spans, emphasis and links within a line. A marker only opens before a non-space and
    /// closes after one, and `_` only at word edges, so `2 * 3 * 4` and `snake_case_name` stay.
    func inline(_ text: Substring) -> String {
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let after = text.index(after: index)
            if character == "`", let close = text[after...].firstIndex(of: "`"), close > after {
                output += wrap(String(text[after..<close]), in: Self.monospace)
                index = text.index(after: close)
                continue
            }
            if character == "*" || character == "_" {
                let double = after < text.endIndex && text[after] == character
                let marker = String(repeating: character, count: double ? 2 : 1)
                let start = text.index(index, offsetBy: marker.count)
                if let (content, end) = Self.emphasis(in: text, from: index, contentStart: start, marker: marker) {
                    output += wrap(inline(content), in: double ? Self.bold : Self.italic)
                    index = end
                    continue
                }
            }
            if character == "[", let link = Self.link(in: text, from: index) {
                output += inline(link.label) + " (" + link.url + ")"
                index = link.end
                continue
            }
            output.append(character)
            index = after
        }
        return output
    }

    /// The emphasised text from `opening` and where the text after its closing marker starts.
    private static func emphasis(
        in text: Substring, from opening: Substring.Index, contentStart: Substring.Index, marker: String
    ) -> (Substring, Substring.Index)? {
        guard contentStart < text.endIndex, !text[contentStart].isWhitespace else { return nil }
        let underscore = marker.first == "_"
        if underscore, opening > text.startIndex, text[text.index(before: opening)].isLetter || text[text.index(before: opening)].isNumber {
            return nil
        }
        var search = contentStart
        while let range = text[search...].firstRange(of: marker) {
            let before = text[text.index(before: range.lowerBound)]
            let next = range.upperBound < text.endIndex ? text[range.upperBound] : nil
            let closes = range.lowerBound > contentStart && !before.isWhitespace
                && next != marker.first
                && !(underscore && (next?.isLetter == true || next?.isNumber == true))
            if closes { return (text[contentStart..<range.lowerBound], range.upperBound) }
            search = text.index(after: range.lowerBound)
        }
        return nil
    }

    /// `[label](url)` starting at `open`.
    private static func link(in text: Substring, from open: Substring.Index) -> (label: Substring, url: String, end: Substring.Index)? {
        let labelStart = text.index(after: open)
        guard let closeLabel = text[labelStart...].firstIndex(of: "]"),
              text.index(after: closeLabel) < text.endIndex, text[text.index(after: closeLabel)] == "(" else { return nil }
        let urlStart = text.index(closeLabel, offsetBy: 2)
        guard let closeURL = text[urlStart...].firstIndex(of: ")"), closeURL > urlStart else { return nil }
        let url = text[urlStart..<closeURL]
        guard !url.contains(" ") else { return nil }
        return (text[labelStart..<closeLabel], String(url), text.index(after: closeURL))
    }
}
