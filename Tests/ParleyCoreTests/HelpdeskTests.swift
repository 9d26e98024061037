import Foundation
@testable import ParleyCore
import ParleyTesting
import Testing

/// The hand-off in a helpdesk channel (`Bot+Helpdesk`): tickets, the staff channel, claim,
/// relay, reply, close, a restart in between, office hours, and what opens a ticket.
@Suite struct HelpdeskTests {
    /// Tickets in memory, shared by two bots to stand for a restart.
    final class Tickets: TicketStore {
        let stored = Locked<[Int: Ticket]>([:])

        func openTicket(_ ticket: Ticket) async throws -> Ticket {
            stored.withLock { all in
                var ticket = ticket
                ticket.id = (all.keys.max() ?? 0) + 1
                all[ticket.id] = ticket
                return ticket
            }
        }

        func updateTicket(_ ticket: Ticket) async throws { stored.withLock { $0[ticket.id] = ticket } }
        func tickets(in states: Set<Ticket.State>) async throws -> [Ticket] {
            stored.withLock { $0.values.filter { states.contains($0.state) }.sorted { $0.id < $1.id } }
        }
        func ticket(_ id: Int) async throws -> Ticket? { stored.withLock { $0[id] } }
    }

    static let agent = Sender(id: "agent", displayName: "agent", account: "agent")
    static let stranger = Sender(id: "eve", displayName: "eve", account: "eve")
    static let bob = Sender(id: "bob", displayName: "bob", account: nil)
    static let staff = ChannelKey(network: "test", channel: "#staff")

    static func bot(
        _ backend: ScriptedBackend, tickets: Tickets, hours: OfficeHours? = nil, now: @escaping @Sendable () -> Date = { Date() },
        knowledge: (any KnowledgeBase)? = nil, inboundHooks: [any ModerationHook] = [], store: (any ConversationStore)? = nil,
        greeting: String? = nil, privacyNotice: String? = nil
    ) -> BotTester {
        var help = ChannelPolicy(backend: backend.name)
        help.scope = .user
        help.helpdesk = HelpdeskPolicy(
            staffChannel: staff, hours: hours, claimTimeout: .seconds(60), greeting: greeting, privacyNotice: privacyNotice)
        if knowledge != nil { help.knowledge = KnowledgePolicy(paths: ["docs"]) }
        return BotTester(
            configuration: BotConfiguration(roles: RoleList([RoleList.Entry(network: "test", account: "agent", role: .staff)])),
            policies: ChannelPolicies(rules: [(ChannelMatch(channel: "#help"), help)], fallback: ChannelPolicy(backend: backend.name)),
            backends: [backend], inboundHooks: inboundHooks, store: store, knowledge: knowledge, tickets: tickets, now: now)
    }

    /// Says `text` in `channel` and returns the bot's next line there (other channels may get
    /// lines meanwhile: the staff channel).
    static func ask(
        _ tester: BotTester, _ text: String, from sender: Sender = BotTester.alice, in channel: String, watching: String? = nil
    ) async throws -> String {
        let watched = watching ?? channel
        let before = said(in: watched, by: tester).count
        tester.say(text, from: sender, in: channel)
        return try await eventually("a line in \(watched) after \(text): \(tester.connector.sent.map(\.text))") {
            let lines = said(in: watched, by: tester)
            return lines.count > before ? lines[before] : nil
        }
    }

    /// What the bot said in `channel`, in order.
    static func said(in channel: String, by tester: BotTester) -> [String] {
        tester.connector.sent.filter { $0.channel.channel == channel }.map(\.text)
    }

    @Test func theWholeTicketCycleAcrossARestart() async throws {
        let backend = ScriptedBackend(replying: "bot answer")
        let tickets = Tickets()
        let transcripts = InMemoryConversationStore()
        let first = Self.bot(backend, tickets: tickets, store: transcripts)
        _ = try await Self.ask(first, "parley: my invoice is wrong", in: "#help")
        #expect(try await Self.ask(first, "!human", in: "#help")
            == "I've passed this to a person as ticket #1; you're number 1 in the queue, and they'll answer here.")
        let notice = try #require(Self.said(in: "#staff", by: first).last)
        #expect(notice.hasPrefix("Ticket #1 from a\u{200B}lice in test/#help: asked for a person."))
        #expect(notice.contains("Last: \"bot: bot answer\"") && notice.hasSuffix("Claim it with !claim 1"))
        #expect(try await Self.ask(first, "!human", in: "#help") == "Your ticket #1 is still open; a person will answer here.")

        #expect(try await Self.ask(first, "!claim 1", from: Self.stranger, in: "#staff") == "Sorry, !claim is for staff, in the staff channel.")
        #expect(try await Self.ask(first, "!claim 1", from: Self.agent, in: "#help").contains("is for staff") == false)
        #expect(try await Self.ask(first, "!claim 1", from: Self.agent, in: "#staff").hasPrefix("Ticket #1 is yours"))
        let asked = backend.requests.count
        #expect(try await Self.ask(first, "parley: hello? anyone?", in: "#help", watching: "#staff") == "[#1] a\u{200B}lice: parley: hello? anyone?")
        #expect(try await Self.ask(first, "parley: a question", from: Self.bob, in: "#help") == "bot answer", "other customers are still answered")
        #expect(backend.requests.count == asked + 1)
        first.say("!reply 1 We have corrected your invoice.", from: Self.agent, in: "#staff")
        _ = try await eventually("the reply") { Self.said(in: "#help", by: first).last == "alice: We have corrected your invoice." ? true : nil }
        await first.stop()

        // A restart: the ticket is still claimed, the customer still goes to staff.
        let second = Self.bot(backend, tickets: tickets, store: transcripts)
        second.say("parley: thanks!", in: "#help")
        _ = try await eventually("the relay after the restart") {
            Self.said(in: "#staff", by: second).last == "[#1] a\u{200B}lice: parley: thanks!" ? true : nil
        }
        #expect(try await Self.ask(second, "!tickets", from: Self.agent, in: "#staff")
            == "#1 claimed by agent: a\u{200B}lice in test/#help, asked for a person")
        #expect(try await Self.ask(second, "!close 1", from: Self.agent, in: "#staff").hasPrefix("Ticket #1 is closed"))
        _ = try await eventually("the customer told") {
            Self.said(in: "#help", by: second).last == "Ticket #1 is closed, and I'm answering here again; ask me anything." ? true : nil
        }
        #expect(try await Self.ask(second, "parley: one more thing", in: "#help") == "bot answer")
        #expect(backend.requests.last?.messages.contains { $0.content.contains("We have corrected your invoice.") } == true,
                "what staff said is in the conversation")
        #expect(try await tickets.ticket(1)?.state == .closed)
        await second.stop()
    }

    @Test func outOfHoursTheCustomerIsToldWhenSomeoneAnswers() async throws {
        let saturday = OfficeHoursTests.at("2026-12-26 11:00")
        let tester = Self.bot(ScriptedBackend(replying: "x"), tickets: Tickets(), hours: OfficeHoursTests.hours, now: { saturday })
        #expect(try await Self.ask(tester, "!human", in: "#help")
            == "I've passed this to a person as ticket #1; you're number 1 in the queue. Nobody is in right now; someone will answer here from Mon 28 Dec 09:00 (Europe/Berlin).")
        await tester.stop()
    }

    @Test func anUnclaimedTicketIsAnnouncedAgainAfterTheClaimTimeout() async throws {
        let tester = Self.bot(ScriptedBackend(replying: "x"), tickets: Tickets())
        _ = try await Self.ask(tester, "!human", in: "#help")
        let announced = Self.said(in: "#staff", by: tester).count
        _ = try await eventually("the timer to wait") { tester.clock.sleepers > 0 ? true : nil }
        tester.clock.advance(by: .seconds(61))
        _ = try await eventually("the second announcement") { Self.said(in: "#staff", by: tester).count == announced + 1 ? true : nil }
        _ = try await eventually("the timer to wait again") { tester.clock.sleepers > 0 ? true : nil }
        _ = try await Self.ask(tester, "!claim 1", from: Self.agent, in: "#staff")
        tester.clock.advance(by: .seconds(61))
        try await tester.settle()
        #expect(Self.said(in: "#staff", by: tester).filter { $0.hasPrefix("Ticket #1 from") }.count == 2, "no announcement once claimed")
        await tester.stop()
    }

    @Test func twoDontKnowsInARowTheModelsMarkerAndAnEscalateVerdictOpenTickets() async throws {
        let nothing = GroundedAnswerTests.Shelf([])
        let backend = ScriptedBackend(replying: "x")
        let tester = Self.bot(backend, tickets: Tickets(), knowledge: nothing)
        _ = try await Self.ask(tester, "parley: what is the meaning of life?", in: "#help")
        let second = try await Self.ask(tester, "parley: and the capital of Peru?", in: "#help")
        #expect(second == BotSentence.dontKnow.text(in: .english))
        _ = try await eventually("the ticket") { Self.said(in: "#staff", by: tester).first }
        #expect(Self.said(in: "#staff", by: tester).first?.contains("two questions the documents do not answer") == true)
        _ = try await eventually("the customer told") {
            Self.said(in: "#help", by: tester).last?.hasPrefix("I've passed this to a person as ticket #1") == true ? true : nil
        }
        await tester.stop()

        let marking = ScriptedBackend(name: "scripted") { _ in ["I'll pass you on to a colleague. ", "[hand", "off]"] }
        let handoff = Self.bot(marking, tickets: Tickets())
        #expect(try await Self.ask(handoff, "parley: can I talk to a real person?", in: "#help") == "I'll pass you on to a colleague.")
        _ = try await eventually("the ticket") { Self.said(in: "#staff", by: handoff).first }
        #expect(marking.requests.first?.messages.first?.content.contains("end your reply with [handoff]") == true)
        await handoff.stop()

        let blocklist = BlocklistHook(rules: [BlocklistHook.Rule(pattern: try NSRegularExpression(pattern: "(?i)lawyer"), action: .escalate)])
        let escalating = Self.bot(ScriptedBackend(replying: "x"), tickets: Tickets(), inboundHooks: [blocklist])
        #expect(try await Self.ask(escalating, "parley: my lawyer will call you", in: "#help").hasPrefix("I've passed this to a person as ticket #1"))
        await escalating.stop()
    }

    @Test func aFirstTimeCustomerIsGreetedAndToldWhatIsKeptOnce() async throws {
        let tester = Self.bot(
            ScriptedBackend(replying: "the answer"), tickets: Tickets(), greeting: "Welcome to Lumen support!",
            privacyNotice: "I keep this conversation for 14 days; !forget me deletes it.")
        #expect(try await Self.ask(tester, "parley: hello", in: "#help") == "Welcome to Lumen support!")
        _ = try await eventually("the answer") { Self.said(in: "#help", by: tester).count == 3 ? true : nil }
        #expect(Self.said(in: "#help", by: tester) == [
            "Welcome to Lumen support!", "I keep this conversation for 14 days; !forget me deletes it.", "the answer"])
        #expect(try await Self.ask(tester, "parley: and again", in: "#help") == "the answer", "once")
        #expect(try await Self.ask(tester, "parley: I'm new", from: Self.bob, in: "#help") == "Welcome to Lumen support!", "per customer")
        await tester.stop()
    }
}
