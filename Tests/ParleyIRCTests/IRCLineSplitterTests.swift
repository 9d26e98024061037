@testable import ParleyIRC
import Testing

@Suite struct IRCLineSplitterTests {
    @Test func splitsLongReplyAtWordBoundaryWithinLineLimit() {
        let words = (0..<200).map { "word\($0)" }
        let text = words.joined(separator: " ")
        let lines = IRCLineSplitter(budget: 60).split(text)
        #expect(lines.count > 1)
        for line in lines {
            #expect(line.utf8.count <= 60)
            #expect(!line.hasPrefix(" ") && !line.hasSuffix(" "))
        }
        #expect(lines.joined(separator: " ") == text)
    }

    @Test func eachLineOfTheReplyBecomesItsOwnMessagesAndBlankLinesAreSkipped() {
        let lines = IRCLineSplitter(budget: 400).split("first\r\nsecond\n\n\nthird\rfourth\n")
        #expect(lines == ["first", "second", "third", "fourth"])
    }

    /// 2-, 3- and 4-byte scalars, a flag (two scalars) and a family (scalars joined by ZWJ).
    static let multiByteWord = "ééé中文字😀😀🇫🇷👨‍👩‍👧ñ"

    @Test(arguments: [60, 61, 62, 63, 64, 100])
    func multiByteWordsWrapWithinTheLimitAndReassembleExactly(budget: Int) {
        let text = Array(repeating: Self.multiByteWord, count: 9).joined(separator: " ")
        let lines = IRCLineSplitter(budget: budget).split(text)
        #expect(lines.count > 1)
        for line in lines { #expect(line.utf8.count <= budget, "\(line) is \(line.utf8.count) bytes") }
        #expect(lines.joined(separator: " ") == text)
    }

    @Test(arguments: [4, 5, 7, 8, 9, 10, 13, 25])
    func aMultiByteRunLongerThanALineIsCutBetweenCodePointsAndReassemblesExactly(budget: Int) {
        let text = String(repeating: Self.multiByteWord, count: 3)
        let lines = IRCLineSplitter(budget: budget).split(text)
        for line in lines {
            #expect(line.utf8.count <= budget, "\(line) is \(line.utf8.count) bytes")
            #expect(String(validating: Array(line.utf8), as: UTF8.self) == line)
        }
        #expect(lines.joined() == text)
    }

    @Test func aWordLongerThanTheBudgetIsCutBetweenCharacters() {
        let word = String(repeating: "abcdefghij", count: 10)
        let lines = IRCLineSplitter(budget: 30).split(word)
        let expected: [String] = stride(from: 0, to: 100, by: 30).map { String(word.dropFirst($0).prefix(30)) }
        #expect(lines == expected)
    }

    @Test func controlCharactersNeverReachTheWire() {
        let lines = IRCLineSplitter(budget: 400).split("a\u{0}b\u{7}c\u{1B}[31md\te\u{02}bold\u{02}\u{85}")
        #expect(lines == ["abc[31md ebold"])
        let formatted = IRCLineSplitter(budget: 400, keepFormatting: true).split("\u{02}bold\u{02}\u{0}")
        #expect(formatted == ["\u{02}bold\u{02}"])
    }

    @Test func aReplyThatTriesToInjectACommandStaysOneMessageBody() throws {
        let lines = IRCLineSplitter(budget: 400).split("sure\r\nQUIT :x\r\nJOIN #evil")
        // Each becomes a PRIVMSG body, never a line of its own.
        for body in lines {
            let line = try IRCMessage("PRIVMSG", ["#c", body]).serialized()
            let parsed = try IRCMessage(parsing: line)
            #expect(parsed.command == "PRIVMSG" && parsed.parameters == ["#c", body])
        }
    }
}
