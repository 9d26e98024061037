/// Server-sent events (the WHATWG event-stream format) cut from a byte stream: `data:` lines
/// gathered until a blank line ends the event; comments (`:`), `event:`, `id:` and `retry:`
/// fields read or skipped; CR, LF and CR-LF all end a line; bytes may arrive split anywhere,
/// a UTF-8 sequence included.
struct ServerSentEvents {
    struct Event: Equatable {
        var type: String = "message"
        var data: String
    }

    /// A line longer than this (a broken or hostile server) fails the stream rather than growing
    /// the buffer without bound.
    static let maxLineBytes = 1 << 20

    struct LineTooLong: Error {}

    private var line: [UInt8] = []
    private var lastWasCR = false
    private var data: [String] = []
    private var type = ""

    /// Appends bytes; returns the events they complete.
    mutating func append(_ bytes: some Sequence<UInt8>) throws -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") && lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if let event = endLine() { events.append(event) }
                continue
            }
            line.append(byte)
            if line.count > Self.maxLineBytes { throw LineTooLong() }
        }
        return events
    }

    /// Processes one complete line; a blank line dispatches the event gathered so far.
    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                data.removeAll()
                type = ""
            }
            guard !data.isEmpty else { return nil }
            return Event(type: type.isEmpty ? "message" : type, data: data.joined(separator: "\n"))
        }
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "data": data.append(String(value))
        case "event": type = String(value)
        default: break
        }
        return nil
    }
}
