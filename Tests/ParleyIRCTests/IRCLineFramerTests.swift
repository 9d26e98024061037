@testable import ParleyIRC
import Testing

@Suite struct IRCLineFramerTests {
    static let stream = Array(":a PRIVMSG #c :one\r\nPING :x\n\r\n:b NOTICE * :tres\r\n".utf8)

    @Test func linesComeOutWhateverTheReadBoundaries() {
        var reference = IRCLineFramer()
        let expected = reference.append(Self.stream).map { IRCText.decode($0) }
        #expect(expected == [":a PRIVMSG #c :one", "PING :x", ":b NOTICE * :tres"])
        // Every split of the stream into two reads, and one byte per read.
        for cut in 0...Self.stream.count {
            var framer = IRCLineFramer()
            let lines = framer.append(Self.stream[..<cut]) + framer.append(Self.stream[cut...])
            #expect(lines.map { IRCText.decode($0) } == expected, "cut at \(cut)")
        }
        var framer = IRCLineFramer()
        #expect(Self.stream.flatMap { framer.append([$0]) }.map { IRCText.decode($0) } == expected)
    }

    @Test func anOverlongLineIsDiscardedAndTheNextOneSurvives() {
        var framer = IRCLineFramer()
        let huge = [UInt8](repeating: UInt8(ascii: "x"), count: IRCLineFramer.maxLineBytes * 3)
        var lines = framer.append(huge)
        lines += framer.append(Array("\r\nPING :ok\r\n".utf8))
        #expect(lines.map { IRCText.decode($0) } == ["PING :ok"])
        #expect(framer.takeDiscardedCount() == 1)
    }

    @Test func invalidUTF8FallsBackToWindows1252() {
        // "café – naïve" in Windows-1252: é = E9, – = 96, ï = EF.
        let bytes: [UInt8] = [0x63, 0x61, 0x66, 0xE9, 0x20, 0x96, 0x20, 0x6E, 0x61, 0xEF, 0x76, 0x65]
        #expect(IRCText.decode(bytes) == "café – naïve")
        #expect(IRCText.decode(Array("café ✓".utf8)) == "café ✓")
        #expect(IRCText.decode([0x81, 0xFF]) == "\u{81}ÿ")
    }
}
