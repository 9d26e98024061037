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
        _ text: String, style: OutboundMessage.Style, inReplyTo question: String?, thread: String?, mention: String?
    ) -> JSONValue {
        var content = body(text, style: style)
        if let thread {
            var relation: [String: JSONValue] = [
                "rel_type": .string("m.thread"), "event_id": .string(thread), "is_falling_back": .bool(question == nil),
            ]
            if let question { relation["m.in_reply_to"] = .object(["event_id": .string(question)]) }
            content["m.relates_to"] = .object(relation)
        } else if let question {
            content["m.relates_to"] = .object(["m.in_reply_to": .object(["event_id": .string(question)])])
        }
        content["m.mentions"] = .object(mention.map { ["user_ids": .array([.string($0)])] } ?? [:])
        return .object(content)
    }

    /// An edit replacing the text of `original` with `text`. The outer body is the fallback for
    /// clients without edits (`* text`); `m.new_content` is what edit-aware clients show. An edit
    /// mentions nobody anew.
    static func edit(of original: String, to text: String, style: OutboundMessage.Style) -> JSONValue {
        var content: [String: JSONValue] = ["msgtype": .string(msgtype(style)), "body": .string("* " + text)]
        var replacement = body(text, style: style)
        replacement["m.mentions"] = .object([:])
        content["m.new_content"] = .object(replacement)
        content["m.relates_to"] = .object(["rel_type": .string("m.replace"), "event_id": .string(original)])
        content["m.mentions"] = .object([:])
        return .object(content)
    }

    private static func body(_ text: String, style: OutboundMessage.Style) -> [String: JSONValue] {
        [
            "msgtype": .string(msgtype(style)),
            "body": .string(text),
            "format": .string("org.matrix.custom.html"),
            "formatted_body": .string(MarkdownHTML.render(text)),
        ]
    }
}
