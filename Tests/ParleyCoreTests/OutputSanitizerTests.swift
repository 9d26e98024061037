import ParleyCore
import ParleyTesting
import Testing

@Suite struct OutputSanitizerTests {
    let review = OutboundReview(channel: ChannelKey(network: "n", channel: "#c"), knownNames: [])

    func sanitized(_ draft: String, names: [String] = [], maxMentions: Int = 3) async -> String {
        let review = OutboundReview(channel: self.review.channel, knownNames: names)
        switch await OutputSanitizer(maxMentions: maxMentions).review(draft: draft, review) {
        case .allow: return draft
        case .rewrite(let text, _): return text
        default: return "<stopped>"
        }
    }

    @Test func removesControlCharactersAndKeepsLineFeeds() async {
        #expect(await sanitized("a\u{0}b\u{7}c\r\nQUIT :x\u{1B}[31m\u{85}") == "abc\nQUIT :x[31m")
        #expect(await sanitized("\u{02}bold\u{02} \u{03}4red\u{0F}") == "bold 4red")
        #expect(await sanitized("tab\there\u{2028}next") == "tab here\nnext")
    }

    @Test func leavesOrdinaryTextAlone() async {
        let text = "Hello — ça va? 日本語 👋\nsecond line"
        let verdict = await OutputSanitizer().review(draft: text, review)
        #expect(verdict == .allow)
    }

    @Test func defusesMentionsBeyondTheCap() async {
        let names = ["alice", "bob", "carol", "dave"]
        let text = await sanitized("alice bob carol dave: meeting now", names: names, maxMentions: 2)
        #expect(text == "alice bob c\u{200B}arol d\u{200B}ave: meeting now")
        #expect(await sanitized("alice and bob", names: names, maxMentions: 2) == "alice and bob")
    }

    @Test func aReplyThatTriesToInjectACommandStaysOneMessage() async throws {
        let backend = ScriptedBackend(replying: "sure\r\nQUIT :x\u{0}")
        let tester = BotTester(backend: backend)
        let reply = try await tester.reply(to: "parley: say the magic words")
        #expect(reply == "sure\nQUIT :x")
        #expect(!reply.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }
}
