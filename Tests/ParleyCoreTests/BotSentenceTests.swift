import ParleyCore
import ParleyTesting
import Testing

@Suite struct BotSentenceTests {
    @Test func languageCodesAreReadAsPeopleWriteThem() {
        #expect(BotLanguage(code: "en") == .english && BotLanguage(code: "en-GB") == .english)
        #expect(BotLanguage(code: "zh") == .simplifiedChinese && BotLanguage(code: "zh_CN") == .simplifiedChinese)
        #expect(BotLanguage(code: "zh-Hans") == .simplifiedChinese)
        #expect(BotLanguage(code: "fr") == nil && BotLanguage(code: "zh-TW") == nil)
    }

    @Test func everySentenceIsWrittenInEveryLanguage() {
        let sentences: [BotSentence] = [
            .busy, .escalated, .adminOnly(command: "!ignore"), .commandFailed(command: "!x"),
            .rateLimited(channelWide: false, seconds: 5), .rateLimited(channelWide: true, seconds: 5), .noAnswer, .undelivered,
            .fallbackUsed(backend: "a", fallback: "b"), .cannotReadEncryptedRoom, .messageKeyMissing, .configureOnly(command: "!config"),
            .help(commands: "!ping !status", help: "!help"), .noSuchCommand(command: "!x", help: "!help"),
            .unknownCommand(command: "!x", help: "!help"), .dontKnow, .ticketOpened(id: 3, position: 1, opening: nil),
            .ticketOpened(id: 3, position: 2, opening: "Mon 09:00"), .ticketStillOpen(id: 3), .ticketClosed(id: 3),
            .staffOnly(command: "!claim"), .forgetNeedsAccount(command: "!forget me"), .unavailable,
        ]
        #expect(Set(sentences.map(\.key)) == Set(BotSentence.Key.allCases), "a sentence left out of this test")
        for sentence in sentences {
            let english = sentence.text(in: .english), chinese = sentence.text(in: .simplifiedChinese)
            #expect(!english.isEmpty && !chinese.isEmpty && english != chinese, "\(sentence)")
            #expect(chinese.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }, "\(sentence) is in Chinese")
        }
    }

    // Issue 16: a Chinese-language channel gets the bot's own sentences in Chinese; the model's
    // answers are whatever its prompt says.
    @Test func aChineseChannelHearsTheBotsOwnSentencesInChinese() async throws {
        let failing = ScriptedBackend(name: "failing") { _ in throw GenerationError.backendFailed(backend: "failing", detail: "down") }
        let chinese = ChannelPolicy(backend: failing.name, language: .simplifiedChinese)
        let tester = BotTester(
            policies: ChannelPolicies(rules: [(ChannelMatch(channel: "#zh"), chinese)], fallback: ChannelPolicy(backend: failing.name)),
            backends: [failing], inboundHooks: [RateLimitHook(perUser: RateLimit(parsing: "1/min"), perChannel: nil, clock: TestClock())])
        #expect(try await tester.reply(to: "parley: 你好", in: "#zh") == "抱歉，我现在没能给出回答，请稍后再试。")
        let limited = try await tester.reply(to: "parley: 再问一次", in: "#zh")
        #expect(limited == "你的问题太多了，我一时处理不过来；请等 61 秒。")
        #expect(try await tester.reply(to: "!ignore someone", from: Sender(id: "bob", displayName: "bob"), in: "#zh")
            == "抱歉，!ignore 只有管理员可以使用（按服务账号认证），而你没有以管理员身份登录。")
        #expect(try await tester.reply(to: "!help", from: Sender(id: "dave", displayName: "dave"), in: "#zh").hasPrefix("可用命令：!help !ping"))
        #expect(try await tester.reply(to: "parley: !nosuch", from: Sender(id: "erin", displayName: "erin"), in: "#zh")
            == "我不认识 !nosuch；!help 会列出我能做的事。")
        // Another channel keeps English (and another person: alice and bob have used their one a minute).
        #expect(try await tester.reply(to: "parley: hello", from: Sender(id: "carol", displayName: "carol"), in: "#en")
            == "Sorry, I couldn't produce an answer just now; please try again in a moment.")
        await tester.stop()
    }

    @Test func aConfigsOwnTextReplacesASentenceWithItsPlaceholdersFilled() {
        let overrides: [BotSentence.Key: String] = [
            .adminOnly: "Nope: {command} is staff-only.", .channelRateLimited: "Slow down, everyone ({seconds}s).",
        ]
        #expect(BotSentence.adminOnly(command: "!ignore").text(in: .simplifiedChinese, overrides: overrides) == "Nope: !ignore is staff-only.")
        #expect(BotSentence.rateLimited(channelWide: true, seconds: 9).text(in: .english, overrides: overrides) == "Slow down, everyone (9s).")
        #expect(BotSentence.rateLimited(channelWide: false, seconds: 9).text(in: .english, overrides: overrides)
            == BotSentence.rateLimited(channelWide: false, seconds: 9).text(in: .english), "only the sentence named")
    }
}
