import Foundation
import Logging
import ParleyCore
import ParleyDaemon
import Testing

@Suite struct JSONLogHandlerTests {
    @Test func writesOneJSONObjectPerLineWithMetadataAsKeys() throws {
        let lines = Locked<[String]>([])
        var handler = JSONLogHandler(label: "parley") { line in lines.withLock { $0.append(line) } }
        handler.logLevel = .info
        handler[metadataKey: "bot.network"] = "libera"
        let logger = Logger(label: "parley") { _ in handler }
        logger.info("connected", metadata: ["irc.nick": "parley", "secret": "\(ParleyCore.Secret("hunter2"))"])
        logger.debug("not at this level")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "connected")
        #expect(object["level"] as? String == "info")
        #expect(object["bot.network"] as? String == "libera")
        #expect(object["irc.nick"] as? String == "parley")
        #expect(object["secret"] as? String == "<redacted>")
        #expect(!line.contains("hunter2"))
    }
}
