import Foundation

/// Renders the Markdown a model writes into the HTML subset Matrix clients display
/// (`org.matrix.custom.html`): paragraphs and line breaks, headings, lists, quotes, fenced and
/// inline code, bold, italic, and links to http, https and mailto. Everything else is text:
/// every `<`, `>`, `&` and `"` of the input is escaped, so a model cannot write markup.
enum MarkdownHTML {
    static func render(_ markdown: String) -> String {
        var html: [String] = []
        var paragraph: [String] = []
        var list: (ordered: Bool, items: [String])?
        var quote: [String] = []
        var fence: (language: String, lines: [String])?

        func flushParagraph() {
            if !paragraph.isEmpty { html.append("<p>" + paragraph.map(inline).joined(separator: "<br>") + "</p>") }
            paragraph.removeAll()
        }
        func flushList() {
            if let current = list {
                let tag = current.ordered ? "ol" : "ul"
                html.append("<\(tag)>" + current.items.map { "<li>\(inline($0))</li>" }.joined() + "</\(tag)>")
            }
            list = nil
        }
        func flushQuote() {
            if !quote.isEmpty { html.append("<blockquote>" + render(quote.joined(separator: "\n")) + "</blockquote>") }
            quote.removeAll()
        }
        func flushAll() {
            flushParagraph()
            flushList()
            flushQuote()
        }

        for rawLine in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            let trimmed = String(line.trimmingLeadingSpaces())
            if var open = fence {
                if trimmed.hasPrefix("```") {
                    let language = open.language.isEmpty ? "" : " class=\"language-\(escape(open.language))\""
                    html.append("<pre><code\(language)>" + escape(open.lines.joined(separator: "\n")) + "\n</code></pre>")
                    fence = nil
                } else {
                    open.lines.append(line)
                    fence = open
                }
                continue
            }
            if trimmed.hasPrefix("```") {
                flushAll()
                let language = trimmed.dropFirst(3).prefix { !$0.isWhitespace && $0 != "`" }
                fence = (String(language), [])
                continue
            }
            if trimmed.isEmpty {
                flushAll()
                continue
            }
            if trimmed.hasPrefix(">") {
                flushParagraph()
                flushList()
                quote.append(String(trimmed.dropFirst().trimmingLeadingSpaces()))
                continue
            }
            flushQuote()
            if let (level, text) = heading(trimmed) {
                flushAll()
                html.append("<h\(level)>\(inline(text))</h\(level)>")
            } else if let (ordered, item) = listItem(trimmed) {
                flushParagraph()
                if let current = list, current.ordered != ordered { flushList() }
                if list == nil { list = (ordered, []) }
                list?.items.append(item)
            } else if list != nil && line.first == " " {
                // A continuation line of the list item above.
                if var current = list, !current.items.isEmpty {
                    current.items[current.items.count - 1] += " " + trimmed
                    list = current
                }
            } else {
                flushList()
                paragraph.append(line)
            }
        }
        if let open = fence {
            // An unclosed fence (a reply cut short): still code.
            html.append("<pre><code>" + escape(open.lines.joined(separator: "\n")) + "\n</code></pre>")
        }
        flushAll()
        return html.joined()
    }

    /// By scalar, as an HTML parser reads it: a `<` followed by a combining mark is one Swift
    /// Character, unequal to "<", and was left unescaped (found by fuzzing).
    static func escape(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func heading(_ line: String) -> (Int, String)? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes), line.dropFirst(hashes).first == " " else { return nil }
        return (hashes, String(line.dropFirst(hashes + 1)))
    }

    private static func listItem(_ line: String) -> (ordered: Bool, text: String)? {
        if let first = line.first, "-*+".contains(first), line.dropFirst().first == " " {
            return (false, String(line.dropFirst(2)))
        }
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, digits.count <= 9 {
            let rest = line.dropFirst(digits.count)
            if let marker = rest.first, marker == "." || marker == ")", rest.dropFirst().first == " " {
                return (true, String(rest.dropFirst(2)))
            }
        }
        return nil
    }

    /// Inline spans: code first (its content is literal), then links, bold, italic.
    static func inline(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let tick = rest.firstIndex(of: "`") {
            let run = rest[tick...].prefix { $0 == "`" }
            let afterOpen = rest[tick...].dropFirst(run.count)
            guard let close = afterOpen.range(of: String(run)) else { break }
            out += emphasis(rest[..<tick])
            out += "<code>" + escape(afterOpen[..<close.lowerBound]) + "</code>"
            rest = afterOpen[close.upperBound...]
        }
        return out + emphasis(rest)
    }

    private static func emphasis(_ text: Substring) -> String {
        var out = ""
        var rest = text
        var previous: Character?
        while let first = rest.first {
            if first == "[", let link = link(in: rest) {
                out += "<a href=\"\(escape(link.url))\">\(emphasis(link.label))</a>"
                rest = link.rest
                previous = ")"
            } else if let (marker, tag) = [("**", "strong"), ("__", "strong"), ("*", "em"), ("_", "em")]
                        .first(where: { rest.hasPrefix($0.0) }),
                      // Underscores inside a word (snake_case) are not emphasis.
                      !(marker.first == "_" && (previous?.isLetter == true || previous?.isNumber == true)),
                      let span = delimited(rest, by: marker) {
                out += "<\(tag)>\(emphasis(span.inner))</\(tag)>"
                rest = span.rest
                previous = marker.last
            } else {
                out += escape(String(first))
                rest = rest.dropFirst()
                previous = first
            }
        }
        return out
    }

    /// `marker inner marker`, where inner is not empty and does not start or end with a space.
    private static func delimited(_ text: Substring, by marker: String) -> (inner: Substring, rest: Substring)? {
        let body = text.dropFirst(marker.count)
        guard let first = body.first, first != " ", let close = body.range(of: marker) else { return nil }
        let inner = body[..<close.lowerBound]
        guard !inner.isEmpty, inner.last != " " else { return nil }
        if marker == "_" || marker == "*", inner.contains(marker.first!) { return nil }
        let after = body[close.upperBound...].first
        if marker.first == "_", after?.isLetter == true || after?.isNumber == true { return nil }
        return (inner, body[close.upperBound...])
    }

    private static func link(in text: Substring) -> (label: Substring, url: String, rest: Substring)? {
        guard let labelEnd = text.firstIndex(of: "]") else { return nil }
        let label = text[text.index(after: text.startIndex)..<labelEnd]
        let after = text[labelEnd...].dropFirst()
        guard after.hasPrefix("("), let urlEnd = after.firstIndex(of: ")") else { return nil }
        let url = String(after[after.index(after: after.startIndex)..<urlEnd])
        let lowered = url.lowercased()
        guard !label.isEmpty, !url.contains(" "),
              lowered.hasPrefix("https://") || lowered.hasPrefix("http://") || lowered.hasPrefix("mailto:") else { return nil }
        return (label, url, after[urlEnd...].dropFirst())
    }
}

extension StringProtocol {
    func trimmingLeadingSpaces() -> Substring {
        Substring(self).drop { $0 == " " || $0 == "\t" }
    }
}
