@testable import ParleyIRC
import Testing

@Suite struct IRCMessageTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let line: String
        let tags: [String: String]
        let source: String?
        let command: String
        let parameters: [String]
        var testDescription: String { line }
    }

    static let cases: [Case] = [
        .init(line: "PING :irc.example.net", tags: [:], source: nil, command: "PING", parameters: ["irc.example.net"]),
        .init(line: ":nick!user@host PRIVMSG #chan :hello there", tags: [:], source: "nick!user@host", command: "PRIVMSG", parameters: ["#chan", "hello there"]),
        .init(line: ":irc.example.net 001 parley :Welcome to the network", tags: [:], source: "irc.example.net", command: "001", parameters: ["parley", "Welcome to the network"]),
        .init(line: "@time=2026-11-29T12:00:00.000Z;account=alice :alice!a@h PRIVMSG #c :hi", tags: ["time": "2026-11-29T12:00:00.000Z", "account": "alice"], source: "alice!a@h", command: "PRIVMSG", parameters: ["#c", "hi"]),
        .init(line: "@a=x\\:y\\sz\\\\w\\r\\n;b;c= :s CMD", tags: ["a": "x;y z\\w\r\n", "b": "", "c": ""], source: "s", command: "CMD", parameters: []),
        // Odd spacing: runs of spaces between parameters, and a trailing parameter without a colon.
        .init(line: ":s   NOTICE    *   hello", tags: [:], source: "s", command: "NOTICE", parameters: ["*", "hello"]),
        .init(line: "privmsg #c ::starts with a colon", tags: [:], source: nil, command: "PRIVMSG", parameters: ["#c", ":starts with a colon"]),
        .init(line: "CAP * LS :", tags: [:], source: nil, command: "CAP", parameters: ["*", "LS", ""]),
        .init(line: "AUTHENTICATE :+", tags: [:], source: nil, command: "AUTHENTICATE", parameters: ["+"]),
        .init(line: "@unknown\\escape=a\\bc\\ :s X", tags: ["unknown\\escape": "abc"], source: "s", command: "X", parameters: []),
    ]

    @Test(arguments: cases)
    func parsesLinesAsServersSendThem(_ c: Case) throws {
        let message = try IRCMessage(parsing: c.line)
        #expect(message.tags == c.tags)
        #expect(message.source?.description == c.source)
        #expect(message.command == c.command)
        #expect(message.parameters == c.parameters)
    }

    @Test(arguments: cases)
    func serialisingAndParsingAgainGivesTheSameMessage(_ c: Case) throws {
        let message = try IRCMessage(parsing: c.line)
        #expect(try IRCMessage(parsing: try message.serialized()) == message)
    }

    @Test func tagValuesRoundTripEveryEscapedCharacter() throws {
        let value = "semi;colon space back\\slash cr\rlf\n plain=equals"
        let message = IRCMessage(tags: ["+example.org/x": value], "TAGMSG", ["#c"])
        let line = try message.serialized()
        #expect(!line.contains("\r") && !line.contains("\n") && !line.contains(";colon"))
        #expect(try IRCMessage(parsing: line).tags["+example.org/x"] == value)
    }

    @Test func sourcesSplitIntoNickUserAndHost() {
        #expect(IRCSource(parsing: "nick!user@host") == IRCSource(nick: "nick", user: "user", host: "host"))
        #expect(IRCSource(parsing: "nick@host") == IRCSource(nick: "nick", host: "host"))
        #expect(IRCSource(parsing: "irc.example.net") == IRCSource(nick: "irc.example.net"))
    }

    @Test(arguments: ["", "   ", "@a=b", ":source", ":source ", ": PRIVMSG #c :x", "PRIV-MSG #c", "@t=1 :s"])
    func malformedLinesAreErrorsNotCrashes(_ line: String) {
        #expect(throws: IRCParseError.self) { try IRCMessage(parsing: line) }
    }

    @Test func nothingInAParameterCanStartASecondCommand() {
        let attempts = ["hi\r\nQUIT :bye", "hi\nQUIT", "hi\rQUIT", "nul\0byte"]
        for text in attempts {
            #expect(throws: IRCEncodingError.forbiddenCharacter(parameter: 1)) {
                try IRCMessage("PRIVMSG", ["#c", text]).serialized()
            }
        }
    }

    /// Found by the irc-client fuzz target: a server's line whose source held NUL parsed, and
    /// serialising it again wrote the NUL onto the wire.
    @Test func aSourceOrTagKeyThatWouldSplitTheLineIsRefused() throws {
        let parsed = try IRCMessage(parsing: ":H\u{A7}\0\0\0p 4")
        #expect(throws: IRCEncodingError.invalidPrefix("H\u{A7}\0\0\0p")) { try parsed.serialized() }
        for key in ["a b", "a\rb", "a\nb", "a\0b", "a=b", "a;b", ""] {
            #expect(throws: IRCEncodingError.invalidPrefix(key)) { try IRCMessage(tags: [key: "v"], "PING", ["x"]).serialized() }
        }
        #expect(throws: IRCEncodingError.invalidPrefix("n\r\nQUIT")) {
            try IRCMessage(source: IRCSource(nick: "n\r\nQUIT"), "PING", ["x"]).serialized()
        }
        #expect(try IRCMessage(tags: ["+draft/reply": "x"], source: IRCSource(nick: "n", user: "u", host: "h"), "PING", ["x"]).serialized()
            == "@+draft/reply=x :n!u@h PING x")
    }

    @Test func middleParametersMustBeSingleWords() {
        #expect(throws: IRCEncodingError.invalidMiddleParameter(index: 0)) { try IRCMessage("PRIVMSG", ["#a b", "x"]).serialized() }
        #expect(throws: IRCEncodingError.invalidMiddleParameter(index: 0)) { try IRCMessage("PRIVMSG", [":c", "x"]).serialized() }
        #expect(throws: IRCEncodingError.invalidMiddleParameter(index: 0)) { try IRCMessage("PRIVMSG", ["", "x"]).serialized() }
    }

    @Test func theLastParameterGetsAColonOnlyWhenItNeedsOne() throws {
        #expect(try IRCMessage("JOIN", ["#c"]).serialized() == "JOIN #c")
        #expect(try IRCMessage("PRIVMSG", ["#c", "two words"]).serialized() == "PRIVMSG #c :two words")
        #expect(try IRCMessage("PRIVMSG", ["#c", ":)"]).serialized() == "PRIVMSG #c ::)")
        #expect(try IRCMessage("USER", ["parley", "0", "*", ""]).serialized() == "USER parley 0 * :")
    }

    @Test func linesOverTheLimitAreRefused() throws {
        let body = String(repeating: "é", count: 300)  // 600 bytes
        #expect(throws: IRCEncodingError.tooLong(bytes: 613, limit: 512)) { try IRCMessage("PRIVMSG", ["#c", body]).serialized() }
        // Tags do not count against the 512 bytes.
        let tagged = IRCMessage(tags: ["label": String(repeating: "x", count: 600)], "PRIVMSG", ["#c", "x"])
        #expect(throws: Never.self) { try tagged.serialized() }
    }

    // Issue 19, item 3: the grammar is bytes. A separator followed by a combining mark, a zero-width
    // joiner, a variation selector or an emoji modifier is still a separator.
    @Test(arguments: ["\u{0301}", "\u{200D}", "\u{FE0F}", "\u{1F3FD}"])
    func separatorsFollowedByJoiningMarksStillSeparate(mark: String) throws {
        let message = try IRCMessage(parsing: ":n!u@h PRIVMSG #c :\(mark)parley: hi there")
        #expect(message.parameters == ["#c", "\(mark)parley: hi there"])
        let middle = try IRCMessage(parsing: ":n!u@h PRIVMSG #c \(mark)word")
        #expect(middle.parameters == ["#c", "\(mark)word"])
        let tagged = try IRCMessage(parsing: "@a=b;\(mark)c=d :s X")
        #expect(tagged.tags == ["a": "b", "\(mark)c": "d"])
        let value = try IRCMessage(parsing: "@a=\(mark)b :s X")
        #expect(value.tags == ["a": "\(mark)b"])
        let source = try IRCMessage(parsing: ":n!\(mark)u@\(mark)h PING x")
        #expect(source.source == IRCSource(nick: "n", user: "\(mark)u", host: "\(mark)h"))
    }

    @Test func aDirectMessageStartingWithAZeroWidthJoinerKeepsItsText() throws {
        let message = try IRCMessage(parsing: ":alice!a@h PRIVMSG parley :\u{200D}hello world")
        #expect(message.parameters == ["parley", "\u{200D}hello world"])
    }

    @Test func aParameterWhoseSpaceCarriesACombiningMarkIsWrittenAsTrailing() throws {
        let message = IRCMessage("PRIVMSG", ["#c", "a \u{0301}b"])
        #expect(try message.serialized() == "PRIVMSG #c :a \u{0301}b")
        #expect(throws: IRCEncodingError.invalidMiddleParameter(index: 0)) { try IRCMessage("PRIVMSG", ["#a \u{0301}b", "x"]).serialized() }
        #expect(try IRCMessage(parsing: try message.serialized()) == message)
    }

    // Issue 19, item 7: the limit is the server's LINELEN when it advertises one.
    @Test func linesUpToTheAdvertisedLengthSerialise() throws {
        let text = String(repeating: "x", count: 1000)
        #expect(throws: IRCEncodingError.self) { try IRCMessage("PRIVMSG", ["#c", text]).serialized() }
        #expect(try IRCMessage("PRIVMSG", ["#c", text]).serialized(limit: 2048).hasSuffix(text))
    }
}
