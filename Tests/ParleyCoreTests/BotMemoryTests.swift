import Foundation
import ParleyCore
import ParleyTesting
import Synchronization
import Testing

/// Issue 15: conversations that remember beyond the context window; edits and redactions
/// honoured; notes per person.
@Suite struct BotMemoryTests {
    static let bob = Sender(id: "bob", displayName: "bob", account: "bob")
    static let session = SessionKey(channel: ChannelKey(network: "test", channel: BotTester.channel))

    /// A backend whose summaries keep every line that says `remember:` (and nothing else), as a
    /// model asked to keep facts would; replies are "ok". Summaries wait at `gate`.
    static func backend(window: Int = 200, gate: Gate? = nil) -> ScriptedBackend {
        ScriptedBackend(name: "scripted", contextWindow: window) { request in
            guard request.conversation.hasSuffix("/summary") else { return ["ok"] }
            await gate?.wait()
            let input = request.messages.last?.content ?? ""
            let facts = input.split(separator: "\n").filter { $0.contains("remember:") }.map(String.init)
            return [facts.isEmpty ? "nothing notable" : facts.joined(separator: "\n")]
        }
    }

    static func replies(_ backend: ScriptedBackend) -> [GenerationRequest] {
        backend.requests.filter { !$0.conversation.hasSuffix("/summary") }
    }

    static func summaries(_ backend: ScriptedBackend) -> [GenerationRequest] {
        backend.requests.filter { $0.conversation.hasSuffix("/summary") }
    }

    static func policy(_ memory: MemoryPolicy = MemoryPolicy(), recordsChatter: Bool = false) -> ChannelPolicy {
        var policy = ChannelPolicy(backend: "scripted", parameters: GenerationParameters(maxTokens: 20), recordsChatter: recordsChatter)
        policy.memory = memory
        return policy
    }

    // Must show: 300 turns; the fact of turn 2 is in the prompt of turn 300, through the summary;
    // replies go on while a summary is being made.
    @Test func aFactFromTurnTwoIsInThePromptOfTurnThreeHundredAndSummariesNeverHoldUpAReply() async throws {
        let gate = Gate()
        let backend = Self.backend(gate: gate)
        let store = InMemoryConversationStore()
        let tester = BotTester(policy: Self.policy(), backends: [backend], store: store)
        _ = try await tester.reply(to: "parley: hello there")
        _ = try await tester.reply(to: "parley: remember: my locker code is 7391")
        var turn = 3
        // Until the first summary is asked for, then ten more turns while it is held at the gate.
        while Self.summaries(backend).isEmpty {
            _ = try await tester.reply(to: "parley: turn \(turn) is one more line of filler words")
            turn += 1
        }
        let asked = turn
        for _ in 0..<10 {
            #expect(try await tester.reply(to: "parley: turn \(turn) is one more line of filler words") == "ok")
            turn += 1
        }
        let held = await store.summary(of: Self.session)
        #expect(gate.arrivals == 1 && held == nil, "ten replies went out after turn \(asked) while its summary was still held")
        gate.open()
        while turn < 300 {
            _ = try await tester.reply(to: "parley: turn \(turn) is one more line of filler words")
            turn += 1
        }
        _ = try await eventually("the summary to keep the fact") {
            (await store.summary(of: Self.session))?.text.contains("7391") == true ? true : nil
        }
        _ = try await tester.reply(to: "parley: turn 300: what is my locker code?")
        let last = try #require(Self.replies(backend).last)
        #expect(last.messages.last?.content == "alice: turn 300: what is my locker code?")
        #expect(last.messages[0].role == .system && last.messages[0].content.contains("my locker code is 7391"))
        #expect(!last.messages.dropFirst().contains { $0.content.contains("7391") }, "turn 2 itself left the window long ago")
        #expect(last.messages.map { backend.tokenCount(of: $0) }.reduce(0, +) <= 200 - 20, "the summary is counted in the budget")
        #expect(Self.summaries(backend).count > 1, "summaries roll")
        #expect(try await tester.reply(to: "!memory").contains("7391"))
        await tester.stop()
    }

    /// A bot whose conversation began with `fact` and has been summarised since.
    static func summarised(_ fact: String, backend: ScriptedBackend, store: InMemoryConversationStore) async throws -> BotTester {
        let tester = BotTester(policy: Self.policy(), backends: [backend], store: store)
        _ = try await tester.reply(to: "parley: remember: \(fact)")
        for turn in 0..<40 { _ = try await tester.reply(to: "parley: turn \(turn) is one more line of filler words") }
        _ = try await eventually("a summary") { await store.summary(of: Self.session) }
        return tester
    }

    @Test func aSummaryIsSavedAndUsedAfterARestart() async throws {
        let backend = Self.backend()
        let store = InMemoryConversationStore()
        try await Self.summarised("the wifi password is heron-42", backend: backend, store: store).stop()
        let restarted = BotTester(policy: Self.policy(), backends: [backend], store: store)
        _ = try await restarted.reply(to: "parley: what is the wifi password?")
        let last = try #require(Self.replies(backend).last)
        #expect(last.messages[0].content.contains("heron-42"))
        let summary = try #require(await store.summary(of: Self.session))
        #expect(!last.messages.dropFirst().contains { $0.content.contains("heron-42") })
        #expect(summary.users == ["alice"])
        await restarted.stop()
    }

    @Test func resetClearsTheSummaryAndChannelsWithoutSummariesOnlyDrop() async throws {
        let backend = Self.backend()
        let store = InMemoryConversationStore()
        let tester = try await Self.summarised("blue", backend: backend, store: store)
        _ = try await tester.reply(to: "!reset")
        #expect(try await tester.reply(to: "!memory") == "Nothing summarised yet: this conversation still fits my context.")
        #expect(await store.summary(of: Self.session) == nil)
        await tester.stop()

        let plain = Self.backend()
        let off = BotTester(policy: Self.policy(MemoryPolicy(summarizes: false)), backends: [plain])
        for turn in 0..<40 { _ = try await off.reply(to: "parley: turn \(turn) is one more line of filler words") }
        #expect(Self.summaries(plain).isEmpty)
        await off.stop()
    }

    // Forget-me: a summary made from the person's lines is thrown away and made again from the rest.
    @Test func forgetMeDropsSummariesMadeFromThePersonsLinesAndFoldsTheRestAgain() async throws {
        let backend = Self.backend(window: 400)
        let store = InMemoryConversationStore()
        let tester = BotTester(policy: Self.policy(recordsChatter: true), backends: [backend], store: store)
        _ = try await tester.reply(to: "parley: remember: alice-secret-8812")
        tester.say("remember: bob likes tea", from: Self.bob)
        for turn in 0..<60 { _ = try await tester.reply(to: "parley: turn \(turn) is one more line of filler words", from: Self.bob) }
        _ = try await eventually("a summary with alice's line") {
            (await store.summary(of: Self.session))?.text.contains("alice-secret-8812") == true ? true : nil
        }
        _ = try await tester.reply(to: "!forget me")
        #expect(await store.summary(of: Self.session) == nil)
        let before = Self.summaries(backend).count
        let requestsBefore = backend.requests.count
        for turn in 60..<70 { _ = try await tester.reply(to: "parley: turn \(turn) is one more line of filler words", from: Self.bob) }
        _ = try await eventually("a summary made again") {
            (await store.summary(of: Self.session))?.text.contains("bob likes tea") == true ? true : nil
        }
        #expect(Self.summaries(backend).count > before)
        #expect(!backend.requests.dropFirst(requestsBefore).contains { $0.messages.contains { $0.content.contains("alice-secret-8812") } })
        #expect(try await tester.reply(to: "!memory", from: Self.bob).contains("bob likes tea"))
        await tester.stop()
    }

    // A Matrix-style edit replaces the line in the next prompt; a redaction removes it and the
    // answer to it; an edit by someone else changes nothing.
    @Test func editsReplaceAndRedactionsRemoveTheLineInMemoryAndInStorage() async throws {
        let backend = Self.backend()
        let store = InMemoryConversationStore()
        let tester = BotTester(policy: Self.policy(), backends: [backend], store: store)
        let edited = tester.say("parley: my name is Alcie")
        let redacted = tester.say("parley: my card is 4111 1111 1111 1111")
        _ = try await tester.sentMessages(atLeast: 2)
        let channel = edited.channel
        tester.connector.report(.revised(channel, edited.id, .edited(text: "my name is Mallory", by: "bob")))
        tester.connector.report(.revised(channel, edited.id, .edited(text: "my name is Alice", by: "alice")))
        tester.connector.report(.revised(channel, redacted.id, .redacted))
        _ = try await tester.reply(to: "parley: what do you know?")
        let last = try #require(Self.replies(backend).last)
        #expect(last.messages.dropFirst().map(\.content) == ["alice: my name is Alice", "ok", "alice: what do you know?"])
        try await tester.settle()
        let stored = await store.entries(of: Self.session, limit: 100).map(\.text)
        #expect(stored == ["my name is Alice", "ok", "what do you know?", "ok"])
        await tester.stop()
    }

    @Test func notesAreKeptPerPersonWhereTheChannelOptsIn() async throws {
        let backend = Self.backend()
        let store = InMemoryConversationStore()
        let notes = Self.policy(MemoryPolicy(notes: true))
        let policies = ChannelPolicies(
            rules: [(ChannelMatch(channel: "#plain"), Self.policy())], fallback: notes)
        let tester = BotTester(policies: policies, backends: [backend], store: store)
        #expect(try await tester.reply(to: "!remember I prefer metric units").hasPrefix("Noted."))
        #expect(try await tester.reply(to: "!remember my timezone is CET").hasPrefix("Noted."))
        #expect(try await tester.reply(to: "!memory me") == "Your notes: I prefer metric units · my timezone is CET")
        #expect(try await tester.reply(to: "!remember x", in: "#plain") == "I keep no notes in this channel.")
        // Given to the model in alice's conversations (another channel, a direct one), not bob's.
        _ = try await tester.reply(to: "parley: how far is it?", in: "#other")
        #expect(Self.replies(backend).last?.messages[0].content.contains("alice asked you to remember:\n- I prefer metric units") == true)
        _ = try await tester.reply(to: "parley: how far is it?", from: Self.bob, in: "#other")
        #expect(Self.replies(backend).last?.messages[0].content.contains("metric") == false)
        #expect(try await tester.reply(to: "!forget TIMEZONE") == "Removed 1 note.")
        #expect(try await tester.reply(to: "!memory me") == "Your notes: I prefer metric units")
        _ = try await tester.reply(to: "!forget me")
        #expect(await store.notes(of: "alice", on: "test").isEmpty, "forget-me takes the notes too")
        await tester.stop()
    }

    @Test func chatterIsNotKeptUnlessTheChannelAsks() async throws {
        let backend = Self.backend()
        let store = InMemoryConversationStore()
        let tester = BotTester(backend: backend, store: store)
        tester.say("my neighbour's number is 555-0199", from: Self.bob)
        _ = try await tester.reply(to: "parley: hi")
        try await tester.settle()
        #expect(!(await store.entries(of: Self.session, limit: 10)).contains { $0.text.contains("555-0199") })
        #expect(!backend.requests.contains { $0.messages.contains { $0.content.contains("555-0199") } })
        await tester.stop()
    }

    @Test func aPrivacyNoticeIsSaidOncePerChannelBeforeTheFirstAnswer() async throws {
        var policy = Self.policy()
        policy.privacyNotice = "I keep this channel's questions for 7 days; !forget me deletes yours."
        let tester = BotTester(policy: policy, backends: [Self.backend()])
        let first = try await tester.reply(to: "parley: hi")
        #expect(first == "I keep this channel's questions for 7 days; !forget me deletes yours.")
        _ = try await tester.sentMessages(atLeast: 2)
        _ = try await tester.reply(to: "parley: again")
        _ = try await tester.reply(to: "parley: hi", in: "#elsewhere")
        let notices = tester.connector.sent.filter { $0.text.hasPrefix("I keep this channel") }
        #expect(notices.map(\.channel.channel) == [BotTester.channel, "#elsewhere"])
        await tester.stop()
    }
}
