import Foundation
import ParleyCore
import ParleyTesting
import Testing

/// Everything the bot says goes out through one outbox: each path below is seen by the outbound
/// moderation hooks and then by the output sanitiser.
@Suite struct OutboxTests {
    /// Records every draft it reviews and slips a BEL into it: the sanitiser, which runs last,
    /// must take it out again, or it would reach the network.
    final class Witness: ModerationHook {
        let name = "witness"
        let seen = Locked<[String]>([])
        var drafts: [String] { seen.withLock { $0 } }

        func review(draft: String, _ review: OutboundReview) async -> ModerationVerdict {
            seen.withLock { $0.append(draft) }
            return .rewrite(draft + "\u{07}", reason: "witness")
        }
    }

    struct Failing: Error {}

    struct Setup {
        let witness = Witness()
        let tester: BotTester

        init(
            policy: ChannelPolicy? = nil, backend: ScriptedBackend = ScriptedBackend(replying: "the answer"),
            capabilities: ConnectorCapabilities = ConnectorCapabilities(), inboundHooks: [any ModerationHook] = [],
            escalation: ChannelKey? = nil
        ) {
            tester = BotTester(
                configuration: BotConfiguration(escalationChannel: escalation),
                policy: policy ?? ChannelPolicy(backend: backend.name), backends: [backend], capabilities: capabilities,
                inboundHooks: inboundHooks, outboundHooks: [witness])
        }

        /// The sent messages once `count` have gone out, after checking that each passed the
        /// witness and then the sanitiser.
        func sent(_ count: Int) async throws -> [OutboundMessage] {
            let sent = try await tester.sentMessages(atLeast: count)
            for message in sent where !message.text.isEmpty {
                #expect(!message.text.unicodeScalars.contains("\u{07}"), "the sanitiser did not see: \(message.text)")
                let undefused = message.text.replacingOccurrences(of: "\u{200B}", with: "")
                #expect(witness.drafts.contains { undefused.hasPrefix($0) }, "the hooks did not see: \(message.text)")
            }
            return sent
        }
    }

    @Test func aReply() async throws {
        let setup = Setup()
        setup.tester.say("parley: hi")
        #expect(try await setup.sent(1).map(\.text) == ["the answer"])
    }

    @Test func aStreamedReply() async throws {
        let setup = Setup(backend: ScriptedBackend(replying: "line one\nline two\n"), capabilities: ConnectorCapabilities(streaming: .lines))
        setup.tester.say("parley: hi")
        #expect(try await setup.sent(2).map(\.text) == ["line one", "line two"])
    }

    @Test func commandOutput() async throws {
        let setup = Setup()
        setup.tester.say("!ping")
        #expect(try await setup.sent(1)[0].text.hasPrefix("pong"))
    }

    @Test func theBusyNotice() async throws {
        let gate = Gate()
        let backend = ScriptedBackend { _ in
            await gate.wait()
            return ["done"]
        }
        let setup = Setup(policy: ChannelPolicy(backend: backend.name, queueLimit: 0), backend: backend)
        setup.tester.say("parley: first")
        _ = try await eventually("the first generation") { gate.arrivals == 1 ? true : nil }
        setup.tester.say("parley: second")
        #expect(try await setup.sent(1)[0].text.hasPrefix("I'm still answering earlier messages"))
        gate.open()
    }

    @Test func theRateLimitNotice() async throws {
        let limit = RateLimitHook(perUser: RateLimit(count: 1, period: .seconds(3600)), perChannel: nil)
        let setup = Setup(inboundHooks: [limit])
        setup.tester.say("parley: one")
        _ = try await setup.sent(1)
        setup.tester.say("parley: two")
        #expect(try await setup.sent(2)[1].text.hasPrefix("That's more questions than I can take"))
    }

    @Test func anErrorSentence() async throws {
        let setup = Setup(backend: ScriptedBackend { _ in throw Failing() })
        setup.tester.say("parley: hi")
        #expect(try await setup.sent(1)[0].text.hasPrefix("Sorry, I couldn't produce an answer"))
    }

    @Test func anEscalationNote() async throws {
        struct Escalate: ModerationHook {
            let name = "escalate"
            func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict {
                .escalate(reason: "needs a human")
            }
        }
        let staff = ChannelKey(network: "test", channel: "#staff")
        let setup = Setup(inboundHooks: [Escalate()], escalation: staff)
        setup.tester.say("parley: refund me")
        let sent = try await setup.sent(2)
        let note = try #require(sent.first { $0.channel == staff })
        #expect(note.text.hasPrefix("Escalation from alice in #test: parley: refund me"))
        #expect(note.replyTo == nil && note.recipient == nil)
    }

    // The style is decided in one place: the channel's reply_as, else the network's default.
    @Test func theChannelsStyleWinsOverTheNetworksDefault() async throws {
        let onNoticeNetwork = Setup(capabilities: ConnectorCapabilities(defaultStyle: .notice))
        onNoticeNetwork.tester.say("parley: hi")
        #expect(try await onNoticeNetwork.sent(1)[0].style == .notice)
        let backend = ScriptedBackend(replying: "the answer")
        let overridden = Setup(
            policy: ChannelPolicy(backend: backend.name, replyStyle: .message), backend: backend,
            capabilities: ConnectorCapabilities(defaultStyle: .notice))
        overridden.tester.say("parley: hi")
        #expect(try await overridden.sent(1)[0].style == .message)
    }

    // Mass highlights are defused against the channel's members, not only those who spoke.
    @Test func aReplyNamingSixSilentMembersHighlightsAtMostThree() async throws {
        let names = ["anna", "boris", "chloe", "dmitri", "elena", "farid"]
        let setup = Setup(backend: ScriptedBackend(replying: names.joined(separator: " ") + ": look at this"))
        setup.tester.connector.setMembers(names + ["alice"], of: ChannelKey(network: "test", channel: BotTester.channel))
        setup.tester.say("parley: ping everyone")
        let text = try await setup.sent(1)[0].text
        let intact = names.filter { text.contains($0) }
        #expect(intact == Array(names.prefix(3)), "\(text)")
        #expect(text.contains("d\u{200B}mitri") && text.contains("f\u{200B}arid"))
    }
}
