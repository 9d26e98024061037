/// The lines waiting for the flood bucket, a queue per target taken in turn: a long reply in one
/// channel does not hold up a short one in another. Each target's lines keep their order; the
/// targets take turns a line at a time, in the order they first had something to say. Background
/// lines (the WHO queries that learn accounts after a join) go only when nothing else waits.
struct PacedQueue: Sendable {
    private var lines: [String: [[UInt8]]] = [:]
    private var background: [[UInt8]] = []
    /// The targets with lines waiting, in turn order.
    private var ring: [String] = []
    private var turn = 0
    private(set) var count = 0

    /// Where a line waits: a target's turn (a folded channel or nick; "" for the server's own
    /// commands), or the background.
    enum Lane: Hashable {
        case target(String)
        case background
    }

    mutating func append(_ line: [UInt8], in lane: Lane) {
        switch lane {
        case .target(let target): append(line, for: target)
        case .background: appendBackground(line)
        }
    }

    /// Queues `line` for `target`.
    mutating func append(_ line: [UInt8], for target: String) {
        if lines[target, default: []].isEmpty { ring.append(target) }
        lines[target, default: []].append(line)
        count += 1
    }

    /// Queues a line that may wait for every other.
    mutating func appendBackground(_ line: [UInt8]) {
        background.append(line)
        count += 1
    }

    /// The next line to write: the next target's oldest.
    mutating func next() -> [UInt8]? {
        guard !ring.isEmpty else {
            guard !background.isEmpty else { return nil }
            count -= 1
            return background.removeFirst()
        }
        let target = ring[turn]
        let line = lines[target]!.removeFirst()
        count -= 1
        if lines[target]!.isEmpty {
            lines[target] = nil
            ring.remove(at: turn)
        } else {
            turn += 1
        }
        // Past the last target the turn goes back to the first, before anyone new joins the end.
        if turn >= ring.count { turn = 0 }
        return line
    }
}
