/// Cuts a plugin's output into lines (LF, an optional CR before it), refusing any line longer
/// than its limit: a plugin that writes 100 MB without a newline is cut off after the limit,
/// having cost no more memory than that.
struct PluginLineFramer: Sendable {
    enum Output: Equatable, Sendable {
        case line([UInt8])
        /// A line passed the limit; nothing more is read from this plugin.
        case overlong
    }

    let maxLineBytes: Int
    private var partial: [UInt8] = []
    private var failed = false

    init(maxLineBytes: Int) {
        self.maxLineBytes = max(1, maxLineBytes)
    }

    mutating func append(_ bytes: some Collection<UInt8>) -> [Output] {
        guard !failed else { return [] }
        var output: [Output] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
                if !partial.isEmpty { output.append(.line(partial)) }
                partial.removeAll(keepingCapacity: true)
            } else {
                guard partial.count < maxLineBytes else {
                    failed = true
                    partial = []
                    output.append(.overlong)
                    return output
                }
                partial.append(byte)
            }
        }
        return output
    }
}
