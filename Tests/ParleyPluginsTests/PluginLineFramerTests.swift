@testable import ParleyPlugins
import Testing

@Suite struct PluginLineFramerTests {
    @Test func cutsLinesAcrossChunksAndDropsCRAndEmptyLines() {
        var framer = PluginLineFramer(maxLineBytes: 100)
        #expect(framer.append(Array("{\"a\":".utf8)) == [])
        #expect(framer.append(Array("1}\r\n\n{}\n{".utf8)) == [.line(Array("{\"a\":1}".utf8)), .line(Array("{}".utf8))])
        #expect(framer.append(Array("}\n".utf8)) == [.line(Array("{}".utf8))])
    }

    @Test func aLineOverTheLimitEndsTheOutputWithoutHoldingIt() {
        var framer = PluginLineFramer(maxLineBytes: 10)
        #expect(framer.append(Array("0123456789".utf8)) == [])
        #expect(framer.append(Array("x".utf8)) == [.overlong])
        #expect(framer.append(Array("\n{}\n".utf8)) == [], "nothing more is read")
    }
}
