import ParleyCore

/// The content of the events the bot sends: a reply (a notice or text, with its HTML rendering,
/// in reply to the question and inside its thread), and an edit of one (`m.replace`).
enum MatrixOutbound {
    /// Text fit for an event body: valid Unicode without control characters other than newline
    /// and tab (JSON would carry them, but clients render them badly and they serve no reply).
    static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { scalar in
            scalar == "\n" || scalar == "\t" || !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
        }))
    }

    static func msgtype(_ style: OutboundMessage.Style) -> String {
        style == .notice ? "m.notice" : "m.text"
    }

    /// A new event carrying `text`.
    static func reply(
        _ text: String, style: OutboundMessage.Style, inReplyTo question: MatrixEventID?, thread: MatrixEventID?, mention: MatrixUserID?
    ) -> JSONValue {
        var content = body(text, style: style)
        if let thread {
            var relation: [String: JSONValue] = [
                "rel_type": .string("m.thread"), "event_id": .string(thread.rawValue), "is_falling_back": .bool(question == nil),
            ]
            if let question { relation["m.in_reply_to"] = .object(["event_id": .string(question.rawValue)]) }
            content["m.relates_to"] = .object(relation)
        } else if let question {
            content["m.relates_to"] = .object(["m.in_reply_to": .object(["event_id": .string(question.rawValue)])])
        }
        content["m.mentions"] = .object(mention.map { ["user_ids": .array([.string($0.rawValue)])] } ?? [:])
        return .object(content)
    }

    /// An edit replacing the text of `original` with `text`. The outer body is the fallback for
    /// clients without edits (`* text`); `m.new_content` is what edit-aware clients show. An edit
    /// mentions nobody anew.
    static func edit(of original: MatrixEventID, to text: String, style: OutboundMessage.Style) -> JSONValue {
        var content: [String: JSONValue] = ["msgtype": .string(msgtype(style)), "body": .string("* " + fitted(text))]
        var replacement = body(text, style: style)
        replacement["m.mentions"] = .object([:])
        content["m.new_content"] = .object(replacement)
        content["m.relates_to"] = .object(["rel_type": .string("m.replace"), "event_id": .string(original.rawValue)])
        content["m.mentions"] = .object([:])
        return .object(content)
    }

    /// The most bytes of text an event carries. A homeserver refuses events over 65 536 bytes of
    /// JSON (`M_TOO_LARGE`), and a reply with its HTML and an edit's fallback is about twice its text.
    static let maxTextBytes = 30_000

    private static func body(_ text: String, style: OutboundMessage.Style) -> [String: JSONValue] {
        let text = fitted(text)
        var content: [String: JSONValue] = ["msgtype": .string(msgtype(style)), "body": .string(text)]
        let html = MarkdownHTML.render(text)
        // Escaping can make the HTML much longer than the text; then the plain body alone goes.
        if html.utf8.count <= maxTextBytes {
            content["format"] = .string("org.matrix.custom.html")
            content["formatted_body"] = .string(html)
        }
        return content
    }

    /// `text`, cut at a character boundary with an ellipsis if it is over `maxTextBytes`.
    static func fitted(_ text: String) -> String {
        guard text.utf8.count > maxTextBytes else { return text }
        var cut = ""
        var bytes = 0
        for character in text {
            let size = character.utf8.count
            guard bytes + size <= maxTextBytes - 3 else { break }
            cut.append(character)
            bytes += size
        }
        return cut + "…"
    }
}
