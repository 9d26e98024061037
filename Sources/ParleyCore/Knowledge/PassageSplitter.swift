import Foundation

/// Cuts a Markdown or plain-text document into passages at its headings, each passage keeping
/// the path of headings above it. Text before the first heading is a passage under the
/// document's title; a section too long for one passage is cut at paragraph breaks.
public enum PassageSplitter {
    /// The longest passage, in characters: a few hundred tokens, so that several fit a prompt.
    public static let maxCharacters = 1500

    /// - Parameter title: the document's name (its file name without extension), the heading of
    ///   text that comes before any heading.
    public static func passages(of text: String, source: String, title: String, markdown: Bool) -> [KnowledgePassage] {
        var passages: [KnowledgePassage] = []
        var headings: [(level: Int, text: String)] = []
        var lines: [Substring] = []
        var inCode = false

        func flush() {
            let body = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            lines.removeAll()
            guard !body.isEmpty else { return }
            let path = headings.isEmpty ? [title] : headings.map(\.text)
            for piece in pieces(of: body) {
                passages.append(KnowledgePassage(source: source, headings: path, text: piece))
            }
        }

        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if markdown && line.hasPrefix("```") { inCode.toggle() }
            if markdown, !inCode, let heading = heading(in: line) {
                flush()
                headings.removeAll { $0.level >= heading.level }
                headings.append(heading)
                continue
            }
            lines.append(line)
        }
        flush()
        return passages
    }

    /// `## Refunds` → (2, "Refunds"); nil for a line that is not an ATX heading.
    static func heading(in line: Substring) -> (level: Int, text: String)? {
        let level = line.prefix { $0 == "#" }.count
        guard (1...6).contains(level) else { return nil }
        let rest = line.dropFirst(level)
        guard rest.first == " " || rest.first == "\t" else { return nil }
        let text = rest.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "#"))
            .trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : (level, text)
    }

    /// `body` in pieces of at most `maxCharacters`, cut at blank lines (or, for one long
    /// paragraph, at the last space before the limit).
    static func pieces(of body: String) -> [String] {
        guard body.count > maxCharacters else { return [body] }
        var pieces: [String] = []
        var current = ""
        for paragraph in body.components(separatedBy: "\n\n") {
            if !current.isEmpty && current.count + paragraph.count + 2 > maxCharacters {
                pieces.append(current)
                current = ""
            }
            var paragraph = Substring(paragraph)
            while paragraph.count > maxCharacters {
                let limit = paragraph.index(paragraph.startIndex, offsetBy: maxCharacters)
                let cut = paragraph[..<limit].lastIndex(of: " ") ?? limit
                pieces.append(String(paragraph[..<cut]))
                paragraph = paragraph[cut...].drop { $0 == " " }
            }
            current += (current.isEmpty ? "" : "\n\n") + paragraph
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
