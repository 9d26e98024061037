/// Cuts the bytes a server sends into lines: LF ends a line, a CR before it is dropped. A line
/// longer than `maxLineBytes` (a broken or hostile server) is discarded up to its end, and
/// counted, rather than growing the buffer without bound.
struct IRCLineFramer {
    /// 512 for the message and 8191 for its tags (IRCv3 message-tags).
    static let maxLineBytes = 512 + 8191

    private var buffer: [UInt8] = []
    private var discarding = false
    /// Lines thrown away for their length since the last `takeDiscardedCount()`.
    private(set) var discarded = 0

    /// Appends `bytes` and returns every line they complete, in order.
    mutating func append(_ bytes: some Sequence<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if discarding {
                    discarding = false
                } else {
                    if buffer.last == UInt8(ascii: "\r") { buffer.removeLast() }
                    if !buffer.isEmpty { lines.append(buffer) }
                }
                buffer.removeAll(keepingCapacity: true)
            } else if !discarding {
                buffer.append(byte)
                if buffer.count > Self.maxLineBytes {
                    buffer.removeAll(keepingCapacity: true)
                    discarding = true
                    discarded += 1
                }
            }
        }
        return lines
    }

    mutating func takeDiscardedCount() -> Int {
        defer { discarded = 0 }
        return discarded
    }
}
