@testable import ParleyIRC
import Testing

/// Issue 20: no channel waits behind more than its share of the flood bucket.
@Suite struct PacedQueueTests {
    func line(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func targetsTakeTurnsAndEachKeepsItsOrder() {
        var queue = PacedQueue()
        for index in 1...4 { queue.append(line("long \(index)"), for: "#busy") }
        queue.append(line("short"), for: "#quiet")
        queue.append(line("JOIN #x"), for: "")
        var written: [String] = []
        while let next = queue.next() { written.append(String(decoding: next, as: UTF8.self)) }
        #expect(written == ["long 1", "short", "JOIN #x", "long 2", "long 3", "long 4"])
        #expect(queue.count == 0)
    }

    @Test func backgroundLinesGoOnlyWhenNothingElseWaits() {
        var queue = PacedQueue()
        queue.appendBackground(line("WHO #a"))
        queue.appendBackground(line("WHO #b"))
        queue.append(line("answer"), for: "#a")
        var written = [queue.next()].compactMap { $0.map { String(decoding: $0, as: UTF8.self) } }
        queue.append(line("JOIN #c"), for: "")
        while let next = queue.next() { written.append(String(decoding: next, as: UTF8.self)) }
        #expect(written == ["answer", "JOIN #c", "WHO #a", "WHO #b"])
        #expect(queue.count == 0)
    }

    @Test func aTargetThatComesBackJoinsTheEndOfTheTurn() {
        var queue = PacedQueue()
        queue.append(line("a1"), for: "#a")
        queue.append(line("a2"), for: "#a")
        queue.append(line("b1"), for: "#b")
        var written = [queue.next(), queue.next()].compactMap { $0.map { String(decoding: $0, as: UTF8.self) } }
        queue.append(line("b2"), for: "#b")
        queue.append(line("c1"), for: "#c")
        while let next = queue.next() { written.append(String(decoding: next, as: UTF8.self)) }
        #expect(written == ["a1", "b1", "a2", "b2", "c1"])
    }

    @Test func aThousandChannelsOneQuestionEachAreAnsweredInTurn() {
        var queue = PacedQueue()
        for channel in 0..<1000 {
            for part in 0..<3 { queue.append(line("#c\(channel) part \(part)"), for: "#c\(channel)") }
        }
        var firstLine: [String: Int] = [:]
        var position = 0
        while let next = queue.next() {
            let channel = String(String(decoding: next, as: UTF8.self).split(separator: " ")[0])
            if firstLine[channel] == nil { firstLine[channel] = position }
            position += 1
        }
        #expect(firstLine.values.max() == 999, "every channel's first line within the first thousand")
    }
}
