import ParleyCore
import ParleyTesting
import Testing

@Suite struct ChannelSessionTests {
    // Issue 11: each context entry is counted once per backend and the count kept with it, not
    // counted again for every request.
    @Test func eachEntryIsCountedOnceWhateverTheNumberOfRequests() async throws {
        let counted = Locked<[String]>([])
        let backend = ScriptedBackend(
            tokens: { message in
                counted.withLock { $0.append(message.content) }
                return message.content.split(separator: " ").count + 1
            },
            script: { _ in ["ok"] })
        let tester = BotTester(backend: backend)
        for question in ["one", "two", "three", "four"] {
            _ = try await tester.reply(to: "parley: question \(question)")
        }
        let counts = counted.withLock { $0 }.filter { !$0.hasPrefix("You are") }
        // Four questions and three earlier answers (the last answer is recorded after the last
        // request): seven entries, each counted once.
        #expect(counts.filter { $0.contains("question") }.count == 4, "\(counts)")
        #expect(counts.filter { $0 == "ok" }.count == 3, "\(counts)")
    }

    // Found by the burst benchmark: with more questions waiting than the history keeps, the
    // oldest waiting ones were let go from the transcript before their turn, and the bot
    // answered them without the question. Summaries on or off, a waiting question stays.
    @Test(arguments: [false, true])
    func questionsWaitingBeyondTheHistoryLimitAreEachAnsweredWithTheirOwnQuestion(summarizes: Bool) async throws {
        let gate = Gate()
        let backend = ScriptedBackend { request in
            if request.conversation.hasSuffix("/summary") { return ["a summary"] }
            await gate.wait()
            let question = request.messages.last { $0.role == .user }?.content ?? "nothing"
            return ["re: \(question)"]
        }
        var policy = ChannelPolicy(
            backend: "scripted", parameters: GenerationParameters(maxTokens: 20), historyLimit: 2, queueLimit: 20)
        policy.memory = MemoryPolicy(summarizes: summarizes)
        let tester = BotTester(policy: policy, backends: [backend])
        for number in 0..<12 { tester.say("parley: question \(number)") }
        // All twelve queued while the first is held at the gate.
        _ = try await eventually("every question to be queued") { await tester.bot.messagesHandled == 12 ? true : nil }
        gate.open()
        let replies = try await tester.sentMessages(atLeast: 12).map(\.text)
        #expect(replies == (0..<12).map { "re: alice: question \($0)" })
    }

    // Found by the burst benchmark: a busy channel asked for a summary after nearly every reply
    // (one or two lines each), doubling the requests to a hosted backend.
    @Test func summariesAreAskedForAQuarterOfTheHistoryAtATime() async throws {
        let backend = ScriptedBackend { _ in ["ok"] }
        let policy = ChannelPolicy(backend: "scripted", parameters: GenerationParameters(maxTokens: 20), historyLimit: 20)
        let tester = BotTester(policy: policy, backends: [backend])
        for turn in 0..<40 { _ = try await tester.reply(to: "parley: turn \(turn)") }
        try await tester.settle()
        let summaries = backend.requests.filter { $0.conversation.hasSuffix("/summary") }
        let folded = summaries.map { request in
            (request.messages.last?.content ?? "").split(separator: "\n").drop { $0 != "New lines:" }.count - 1
        }
        #expect(!summaries.isEmpty)
        #expect(folded.allSatisfy { $0 >= 5 }, "lines per summary: \(folded)")
    }
}
