@testable import ParleyIRC
import Testing

@Suite struct IRCSupportTests {
    static func isupport(_ tokens: String) throws -> IRCMessage {
        try IRCMessage(parsing: ":irc.test 005 parley \(tokens) :are supported by this server")
    }

    @Test func readsTheTokensParleyUses() throws {
        var support = IRCSupport()
        support.apply(try Self.isupport("CASEMAPPING=ascii CHANTYPES=#! PREFIX=(qaohv)~&@%+ NICKLEN=30 CHANNELLEN=64 LINELEN=1024"))
        support.apply(try Self.isupport("TARGMAX=PRIVMSG:4,NOTICE:4,JOIN: WHOX NETWORK=Test\\x20Net"))
        #expect(support.caseMapping == .ascii)
        #expect(support.channelTypes == ["#", "!"])
        #expect(support.prefixes.map(\.mode) == ["q", "a", "o", "h", "v"])
        #expect(support.prefixSymbols == ["~", "&", "@", "%", "+"])
        #expect(support.nickLength == 30 && support.channelLength == 64 && support.lineLength == 1024)
        #expect(support.targetLimits["PRIVMSG"] == .some(4) && support.targetLimits["JOIN"] == .some(nil))
        #expect(support.whox)
        #expect(support.tokens["NETWORK"] == "Test Net")
        #expect(support.isChannel("!abc") && !support.isChannel("nick"))
    }

    @Test func aNegatedTokenRestoresTheDefault() throws {
        var support = IRCSupport()
        support.apply(try Self.isupport("CASEMAPPING=ascii NICKLEN=9"))
        support.apply(try Self.isupport("-CASEMAPPING -NICKLEN"))
        #expect(support.caseMapping == .rfc1459 && support.nickLength == nil)
    }

    @Test func caseMappingsFoldAsTheirRFCsSay() {
        #expect(IRCCaseMapping.rfc1459.fold("Nick[]\\~") == "nick{}|^")
        #expect(IRCCaseMapping.strictRFC1459.fold("Nick[]\\~") == "nick{}|~")
        #expect(IRCCaseMapping.ascii.fold("Nick[]\\~É") == "nick[]\\~É")
        #expect(IRCCaseMapping.rfc1459.equal("Parley[m]", "parley{M}"))
    }
}
