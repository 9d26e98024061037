import ParleyCore
import ParleyTesting
import Testing

@Suite struct TriggerTests {
    /// Says each line in turn and returns which of them the backend was asked about.
    func answered(_ lines: [(String, Bool)], triggers: TriggerSet) async throws -> [String] {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(backend: backend, policy: ChannelPolicy(triggers: triggers, backend: backend.name))
        for (line, isDirect) in lines {
            tester.say(line, in: isDirect ? "alice" : BotTester.channel, isDirect: isDirect)
        }
        try await tester.settle()
        await tester.stop()
        return backend.requests.compactMap { $0.messages.last?.content }
    }

    let lines: [(String, Bool)] = [
        ("parley: addressed", false),
        ("hello everyone", false),
        ("!ask via prefix", false),
        ("a direct message", true),
        ("what does parley think", false),
    ]

    @Test func mentionAnswersAddressedAndMentionedMessagesOnly() async throws {
        let asked = try await answered(lines, triggers: .mention)
        #expect(asked == ["alice: addressed", "alice: what does parley think"])
    }

    @Test func prefixAnswersTheAskCommandOnly() async throws {
        let asked = try await answered(lines, triggers: .prefix)
        #expect(asked == ["alice: via prefix"])
    }

    @Test func directAnswersDirectMessagesOnly() async throws {
        let asked = try await answered(lines, triggers: .direct)
        #expect(asked == ["alice: a direct message"])
    }

    @Test func alwaysAnswersEverything() async throws {
        let asked = try await answered(lines, triggers: .always)
        #expect(asked.count == 5)
    }

    @Test func offAnswersNothingButCommandsStillWork() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(backend: backend, policy: ChannelPolicy(triggers: .off, backend: backend.name))
        tester.say("parley: hello")
        #expect(try await tester.reply(to: "!ping") == "pong")
        #expect(backend.requests.isEmpty)
    }

    @Test func channelsFollowTheirOwnRules() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let policies = ChannelPolicies(
            rules: [(ChannelMatch(channel: "#quiet"), ChannelPolicy(triggers: .off, backend: backend.name))],
            fallback: ChannelPolicy(triggers: .always, backend: backend.name))
        let tester = BotTester(policies: policies, backends: [backend])
        tester.say("in quiet", in: "#quiet")
        tester.say("in loud", in: "#loud")
        try await tester.settle()
        #expect(backend.requests.map { $0.messages.last?.content } == ["alice: in loud"])
        #expect(tester.connector.sent.map(\.channel.channel) == ["#loud"])
    }
}
