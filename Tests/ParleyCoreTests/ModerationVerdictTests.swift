import Foundation
import ParleyCore
import ParleyTesting
import Testing

/// Each verdict, as the bot carries it out.
@Suite struct ModerationVerdictTests {
    struct FixedHook: ModerationHook {
        let name = "fixed"
        let inbound: ModerationVerdict
        var outbound: ModerationVerdict = .allow

        func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict { inbound }
        func review(draft: String, _ review: OutboundReview) async -> ModerationVerdict { outbound }
    }

    func tester(
        inbound: ModerationVerdict = .allow, outbound: ModerationVerdict = .allow,
        escalation: ChannelKey? = nil, store: InMemoryConversationStore = InMemoryConversationStore()
    ) -> (BotTester, ScriptedBackend) {
        let backend = ScriptedBackend(replying: "the answer")
        let hook = FixedHook(inbound: inbound, outbound: outbound)
        let tester = BotTester(
            configuration: BotConfiguration(escalationChannel: escalation), policy: ChannelPolicy(backend: backend.name),
            backends: [backend], inboundHooks: [hook], outboundHooks: [hook], store: store)
        return (tester, backend)
    }

    @Test func allowLetsTheMessageThrough() async throws {
        let (tester, _) = tester()
        #expect(try await tester.reply(to: "parley: hi") == "the answer")
    }

    @Test func rewriteReplacesTheTextTheModelSees() async throws {
        let (tester, backend) = tester(inbound: .rewrite("[redacted]", reason: "pii"))
        _ = try await tester.reply(to: "parley: my card is 4111")
        #expect(backend.requests.last?.messages.last?.content == "alice: [redacted]")
    }

    /// Replaces digits with `#` in whatever it is given: the whole message, address included.
    struct DigitsHook: ModerationHook {
        let name = "digits"
        func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict {
            let masked = String(message.text.map { $0.isNumber ? "#" : $0 })
            return masked == message.text ? .allow : .rewrite(masked, reason: "digits")
        }
    }

    // Issue 11: moderation first. A hook that rewrites the whole text never leaks the address or
    // the ask command into the prompt: what asks for what is read from what the hook let through.
    @Test(arguments: [
        ("parley: my card is 4111", "alice: my card is ####"),
        ("parley, call 555 now", "alice: call ### now"),
        ("!ask what is 2+2", "alice: what is #+#"),
    ])
    func aRewriteNeverLeaksTheAddressOrTheAskCommandIntoThePrompt(text: String, prompt: String) async throws {
        let backend = ScriptedBackend(replying: "the answer")
        let tester = BotTester(
            policy: ChannelPolicy(triggers: [.mention, .prefix], backend: backend.name), backends: [backend],
            inboundHooks: [DigitsHook()])
        _ = try await tester.reply(to: text)
        #expect(backend.requests.last?.messages.last?.content == prompt)
    }

    @Test func aRewriteThatRemovesTheAddressStillGetsAnAnswer() async throws {
        let (tester, backend) = tester(inbound: .rewrite("[redacted]", reason: "pii"))
        #expect(try await tester.reply(to: "parley: 4111 1111") == "the answer")
        #expect(backend.requests.last?.messages.last?.content == "alice: [redacted]")
    }

    @Test func dropStopsSilentlyAndIsLogged() async throws {
        let store = InMemoryConversationStore()
        let (tester, backend) = tester(inbound: .drop(reason: "spam"), store: store)
        tester.say("parley: buy now")
        try await tester.settle()
        #expect(tester.connector.sent.isEmpty && backend.requests.isEmpty)
        #expect(await store.events.map { "\($0.hook) \($0.verdict) \($0.reason)" } == ["fixed drop spam"])
    }

    @Test func respondTellsTheSenderInsteadOfAnswering() async throws {
        let (tester, backend) = tester(inbound: .respond("Please don't.", reason: "rude"))
        #expect(try await tester.reply(to: "parley: hi") == "Please don't.")
        #expect(backend.requests.isEmpty)
    }

    @Test func escalateHandsTheMessageToHumansAndTellsTheSender() async throws {
        let staff = ChannelKey(network: "test", channel: "#staff")
        let (tester, backend) = tester(inbound: .escalate(reason: "threat"), escalation: staff)
        tester.say("parley: refund now or else")
        let sent = try await tester.sentMessages(atLeast: 2)
        let toStaff = try #require(sent.first { $0.channel == staff })
        #expect(toStaff.text == "Escalation from alice in #test: parley: refund now or else (threat)")
        let toUser = try #require(sent.first { $0.channel.channel == BotTester.channel })
        #expect(toUser.text == "I've passed this on to a person who can help; they'll get back to you.")
        #expect(backend.requests.isEmpty)
    }

    @Test func actPerformsTheActionThroughTheConnector() async throws {
        let spammer = Sender(id: "spammer", displayName: "spammer")
        let action = ModerationAction(kind: .kick, target: spammer, reason: "spam")
        let (tester, _) = tester(inbound: .act(action, reason: "spam"))
        tester.say("free crypto", from: spammer)
        try await tester.settle()
        #expect(tester.connector.actions == [action])
        #expect(tester.connector.sent.isEmpty)
    }

    @Test func anOutboundDropStopsTheRestOfTheReply() async throws {
        let store = InMemoryConversationStore()
        let (tester, _) = tester(outbound: .drop(reason: "leak"), store: store)
        tester.say("parley: tell me a secret")
        try await tester.settle()
        #expect(tester.connector.sent.isEmpty)
        #expect(await store.events.map(\.direction) == [.outbound])
    }

    @Test func theBlocklistActsOnPatterns() async throws {
        let rules = [
            BlocklistHook.Rule(pattern: try NSRegularExpression(pattern: "free crypto", options: .caseInsensitive), action: .act(.ban)),
            BlocklistHook.Rule(pattern: try NSRegularExpression(pattern: "password"), action: .respond("Never share passwords.")),
            BlocklistHook.Rule(pattern: try NSRegularExpression(pattern: "internal-host"), action: .drop, direction: .outbound),
        ]
        let hook = BlocklistHook(rules: rules)
        let message = InboundMessage(id: "1", channel: ChannelKey(network: "n", channel: "#c"), sender: BotTester.alice, text: "FREE CRYPTO here")
        guard case .act(let action, _) = await hook.review(message, InboundReview(isRequest: false)) else {
            Issue.record("expected a ban")
            return
        }
        #expect(action.kind == .ban && action.target == BotTester.alice)
        var asks = message
        asks.text = "my password is x"
        #expect(await hook.review(asks, InboundReview(isRequest: true)) == .respond("Never share passwords.", reason: "matches blocklist pattern /password/"))
        let review = OutboundReview(channel: message.channel, knownNames: [])
        #expect(await hook.review(draft: "see internal-host.example", review) == .drop(reason: "reply matches blocklist pattern /internal-host/"))
        #expect(await hook.review(draft: "free crypto", review) == .allow)
    }

    @Test func theIgnoreListMatchesNickGlobsAndAccounts() {
        let list = IgnoreList(["*bot", "account:Troll"])
        #expect(list.matches(Sender(id: "x", displayName: "HelperBot")))
        #expect(list.matches(Sender(id: "y", displayName: "nice", account: "troll")))
        #expect(!list.matches(Sender(id: "z", displayName: "botany")))
        #expect(!list.matches(Sender(id: "w", displayName: "troll")))
    }

    @Test func overlongInputGetsAnAnswerNotAGeneration() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(
            policy: ChannelPolicy(backend: backend.name), backends: [backend],
            inboundHooks: [InputLengthHook(maxCharacters: 10)])
        #expect(try await tester.reply(to: "parley: this is far too long") == "That message is too long for me (20 characters; the limit is 10).")
        #expect(backend.requests.isEmpty)
    }
}
