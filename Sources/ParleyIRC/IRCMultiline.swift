/// IRCv3 `draft/multiline`: a message of several lines carried in one client batch, so that a
/// client with the capability shows a reply (a code block, a list) as one message, and the server
/// splits it into plain lines for clients without it.
///
/// Sending: `BATCH +ref draft/multiline TARGET` (with the message's tags, `+draft/reply`), each
/// line as `@batch=ref PRIVMSG TARGET :line`, then `BATCH -ref`; a reply larger than the server's
/// `max-bytes` or `max-lines` goes as several batches. Receiving: `IRCMultilineAssembler` joins a
/// batch someone sends back into one message.
public struct IRCMultiline: Sendable, Hashable {
    /// The most bytes of text one batch may carry (line breaks counted).
    public var maxBytes: Int
    /// The most lines one batch may carry, when the server says.
    public var maxLines: Int?

    init(maxBytes: Int, maxLines: Int?) {
        self.maxBytes = maxBytes
        self.maxLines = maxLines
    }

    static let batchType = "draft/multiline"
    static let concatTag = "draft/multiline-concat"

    /// The limits in the capability's value (`max-bytes=4096,max-lines=24`); nil without a usable
    /// `max-bytes`, which the specification requires.
    init?(capabilityValue: String) {
        var bytes: Int?
        var lines: Int?
        for field in IRCText.fields(capabilityValue, separator: ",") {
            let (key, value) = IRCText.keyAndValue(field)
            switch key {
            case "max-bytes": bytes = value.flatMap { Int($0) }
            case "max-lines": lines = value.flatMap { Int($0) }
            default: break
            }
        }
        guard let bytes, bytes > 0 else { return nil }
        self.init(maxBytes: bytes, maxLines: lines.flatMap { $0 > 0 ? $0 : nil })
    }

    /// The messages that carry `lines` to `target`: the lines cut into batches within the limits,
    /// each opened with `tags` and a reference made by `reference` (called once per batch). A batch
    /// that would hold one line goes as a plain message.
    func messages(
        command: String, target: String, lines: [String], tags: [String: String], reference: () -> String
    ) -> [IRCMessage] {
        var messages: [IRCMessage] = []
        var start = lines.startIndex
        while start < lines.endIndex {
            var end = start
            var bytes = 0
            while end < lines.endIndex, end - start < (maxLines ?? .max) {
                let added = lines[end].utf8.count + (end == start ? 0 : 1)
                guard end == start || bytes + added <= maxBytes else { break }
                bytes += added
                end += 1
            }
            let group = lines[start..<end]
            if group.count == 1 {
                messages.append(IRCMessage(tags: tags, command, [target, group[group.startIndex]]))
            } else {
                let name = reference()
                messages.append(IRCMessage(tags: tags, "BATCH", ["+" + name, Self.batchType, target]))
                messages += group.map { IRCMessage(tags: ["batch": name], command, [target, $0]) }
                messages.append(IRCMessage("BATCH", ["-" + name]))
            }
            start = end
        }
        return messages
    }
}

/// Joins the `draft/multiline` batches a server relays into one PRIVMSG or NOTICE each: the
/// opening `BATCH`'s tags and source, the lines joined by line breaks (or run together where a
/// line has `draft/multiline-concat`). Bounded: a batch over `maxLines` lines or `maxBytes` bytes
/// is cut there, and at most `maxOpen` batches are gathered at once (the oldest is dropped).
struct IRCMultilineAssembler: Sendable {
    private struct Open: Sendable {
        var opener: IRCMessage
        var target: String
        var command: String?
        var text = ""
        var lines = 0
    }

    static let maxOpen = 16
    static let maxLines = 100
    static let maxBytes = 16_384

    private var open: [String: Open] = [:]
    private var order: [String] = []

    enum Outcome: Equatable {
        /// Not part of a multiline batch: handle it as usual.
        case notMine
        /// Taken into a batch still open.
        case gathered
        /// A batch closed: this message stands for all of it.
        case complete(IRCMessage)
    }

    mutating func take(_ message: IRCMessage) -> Outcome {
        if message.command == "BATCH", let first = message.parameters.first, first.count > 1 {
            let name = String(first.dropFirst())
            if first.hasPrefix("+") {
                guard message.parameters.count >= 3, message.parameters[1] == IRCMultiline.batchType else { return .notMine }
                if open[name] == nil {
                    order.append(name)
                    if order.count > Self.maxOpen { open[order.removeFirst()] = nil }
                }
                open[name] = Open(opener: message, target: message.parameters[2])
                return .gathered
            }
            guard first.hasPrefix("-"), let batch = open.removeValue(forKey: name) else { return .notMine }
            order.removeAll { $0 == name }
            guard let command = batch.command, !batch.text.isEmpty else { return .gathered }
            var tags = batch.opener.tags
            tags["batch"] = nil
            return .complete(IRCMessage(tags: tags, source: batch.opener.source, command, [batch.target, batch.text]))
        }
        guard let name = message.tags["batch"], var batch = open[name] else { return .notMine }
        guard message.command == "PRIVMSG" || message.command == "NOTICE", message.parameters.count >= 2,
              batch.command == nil || batch.command == message.command else { return .gathered }
        batch.command = message.command
        let line = message.parameters[1]
        if batch.lines < Self.maxLines, batch.text.utf8.count + line.utf8.count + 1 <= Self.maxBytes {
            if batch.lines > 0 && message.tags[IRCMultiline.concatTag] == nil { batch.text += "\n" }
            batch.text += line
            batch.lines += 1
        }
        open[name] = batch
        return .gathered
    }
}
