@testable import ParleyBackends
import Testing

@Suite struct ServerSentEventsTests {
    static let stream = Array("""
        : a comment\r
        data: {"a":1}\r
        \r
        event: ping\n\
        data: first\n\
        data: second\n\
        \n\
        data:no space, ünïcödé\r\r\
        retry: 100\n\
        id: 7\n\
        data: [DONE]\n\n
        """.utf8)

    static let expected: [ServerSentEvents.Event] = [
        .init(data: "{\"a\":1}"),
        .init(type: "ping", data: "first\nsecond"),
        .init(data: "no space, ünïcödé"),
        .init(data: "[DONE]"),
    ]

    @Test func eventsComeOutWhateverTheReadBoundaries() throws {
        var whole = ServerSentEvents()
        #expect(try whole.append(Self.stream) == Self.expected)
        for cut in 0...Self.stream.count {
            var parser = ServerSentEvents()
            let events = try parser.append(Self.stream[..<cut]) + parser.append(Self.stream[cut...])
            #expect(events == Self.expected, "cut at \(cut)")
        }
        var parser = ServerSentEvents()
        #expect(try Self.stream.flatMap { try parser.append([$0]) } == Self.expected)
    }

    @Test func aLineWithoutEndIsNotAnEventYet() throws {
        var parser = ServerSentEvents()
        #expect(try parser.append(Array("data: partial".utf8)).isEmpty)
        #expect(try parser.append(Array("\n\n".utf8)) == [.init(data: "partial")])
    }

    @Test func anEndlessLineFailsTheStream() {
        var parser = ServerSentEvents()
        #expect(throws: ServerSentEvents.LineTooLong.self) {
            _ = try parser.append([UInt8](repeating: UInt8(ascii: "a"), count: ServerSentEvents.maxLineBytes + 1))
        }
    }
}
