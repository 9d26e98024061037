import ParleyCore
import ParleyTesting
import Testing

@Suite struct RateLimitHookTests {
    static let channel = ChannelKey(network: "n", channel: "#c")

    func message(from user: String, in channel: ChannelKey = Self.channel) -> InboundMessage {
        InboundMessage(id: "x", channel: channel, sender: Sender(id: UserID(user), displayName: user), text: "parley: hi")
    }

    @Test func allowsABurstThenWarnsOnceThenDropsUntilRefilled() async {
        let clock = TestClock()
        let hook = RateLimitHook(perUser: RateLimit(count: 2, period: .seconds(60)), perChannel: nil, clock: clock)
        let request = InboundReview(isRequest: true)
        #expect(await hook.review(message(from: "a"), request) == .allow)
        #expect(await hook.review(message(from: "a"), request) == .allow)
        guard case .respond(let text, _) = await hook.review(message(from: "a"), request) else {
            Issue.record("expected a warning")
            return
        }
        #expect(text == "That's more questions than I can take from you right now; please wait 31 s.")
        guard case .drop = await hook.review(message(from: "a"), request) else {
            Issue.record("expected a silent drop after the warning")
            return
        }
        #expect(await hook.review(message(from: "b"), request) == .allow)
        clock.advance(by: .seconds(30))
        #expect(await hook.review(message(from: "a"), request) == .allow)
    }

    @Test func limitsAWholeChannel() async {
        let clock = TestClock()
        let hook = RateLimitHook(perUser: nil, perChannel: RateLimit(count: 3, period: .seconds(60)), clock: clock)
        let request = InboundReview(isRequest: true)
        for user in ["a", "b", "c"] {
            #expect(await hook.review(message(from: user), request) == .allow)
        }
        #expect(await hook.review(message(from: "d"), request) != .allow)
        let elsewhere = ChannelKey(network: "n", channel: "#other")
        #expect(await hook.review(message(from: "d", in: elsewhere), request) == .allow)
    }

    @Test func chatterThatAsksNothingIsNotCounted() async {
        let hook = RateLimitHook(perUser: RateLimit(count: 1, period: .seconds(60)), perChannel: nil, clock: TestClock())
        for _ in 0..<5 {
            #expect(await hook.review(message(from: "a"), InboundReview(isRequest: false)) == .allow)
        }
        #expect(await hook.review(message(from: "a"), InboundReview(isRequest: true)) == .allow)
    }

    @Test(arguments: [
        ("5/min", RateLimit(count: 5, period: .seconds(60))),
        ("1/s", RateLimit(count: 1, period: .seconds(1))),
        ("100 / hour", RateLimit(count: 100, period: .seconds(3600))),
    ])
    func parsesRates(text: String, expected: RateLimit) {
        #expect(RateLimit(parsing: text) == expected)
    }

    @Test(arguments: ["5", "0/min", "-1/min", "5/fortnight", "x/min", ""])
    func rejectsMalformedRates(text: String) {
        #expect(RateLimit(parsing: text) == nil)
    }

    @Test func theBotTellsTheSenderOnceAndLogsTheVerdict() async throws {
        let store = InMemoryConversationStore()
        let clock = TestClock()
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(
            policy: ChannelPolicy(backend: backend.name), backends: [backend],
            inboundHooks: [RateLimitHook(perUser: RateLimit(count: 1, period: .seconds(60)), perChannel: nil, clock: clock)],
            store: store)
        #expect(try await tester.reply(to: "parley: one") == "ok")
        #expect(try await tester.reply(to: "parley: two").hasPrefix("That's more questions than I can take from you"))
        tester.say("parley: three")
        try await tester.settle()
        #expect(tester.connector.sent.count == 2)
        #expect(backend.requests.count == 1)
        #expect(await store.events.map(\.verdict) == ["respond", "drop"])
        #expect(await store.events.allSatisfy { $0.hook == "rate_limit" && $0.reason == "rate limit 1/min exceeded for user" })
    }
}
