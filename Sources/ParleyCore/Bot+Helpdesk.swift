import Foundation
import Logging

/// The hand-off to people in helpdesk channels: tickets opened (asked for, escalated by a
/// moderation verdict, or after two "don't know" answers in a row), announced in the staff
/// channel, claimed, relayed both ways, closed; kept in the ticket store across restarts.
extension Bot {
    /// Loads the tickets still open or claimed (a restart keeps a claimed ticket claimed).
    func restoreTickets() async {
        guard let ticketStore else { return }
        do {
            for ticket in try await ticketStore.tickets(in: [.open, .claimed]) { liveTickets[ticket.id] = ticket }
        } catch {
            logger.error("could not read the open tickets; they wait in the store", metadata: ["error": "\(error)"])
        }
    }

    /// The live ticket of `message`'s sender in its channel, if any.
    func liveTicket(for message: InboundMessage) -> Ticket? {
        liveTickets.values.first { $0.concerns(message) }
    }

    /// Opens a ticket for `message`'s sender (or finds theirs) and tells the staff channel;
    /// returns what the customer is told. Nil where the channel is no helpdesk.
    func openTicket(for message: InboundMessage, reason: String) async -> String? {
        let policy = policy(of: message)
        guard let helpdesk = policy.helpdesk else { return nil }
        if let existing = liveTicket(for: message) { return policy.text(.ticketStillOpen(id: existing.id)) }
        let key = SessionKey(for: message, scope: policy.scope)
        let transcript = await sessions[key]?.recentLines(10) ?? []
        var ticket = Ticket(
            channel: message.channel, isDirect: message.isDirect, customer: message.sender.id,
            customerName: message.sender.displayName, reason: reason, transcript: transcript, opened: now())
        do {
            ticket = try await ticketStore?.openTicket(ticket) ?? { ticket.id = (liveTickets.keys.max() ?? 0) + 1; return ticket }()
        } catch {
            logger.error("could not store a ticket; it is kept in memory until a restart", metadata: ["error": "\(error)"])
            ticket.id = (liveTickets.keys.max() ?? 0) + 1
        }
        liveTickets[ticket.id] = ticket
        logger.notice("ticket opened", metadata: ["bot.ticket": "\(ticket.id)", "bot.channel": "\(message.channel)", "bot.reason": "\(reason)"])
        await announce(ticket, in: helpdesk)
        scheduleReannouncement(of: ticket.id, after: helpdesk.claimTimeout)
        let position = liveTickets.values.filter { $0.state == .open && $0.id <= ticket.id }.count
        let opening = helpdesk.hours.flatMap { hours in
            hours.isOpen(at: now()) ? nil : hours.nextOpening(after: now()).map(hours.describe)
        }
        return policy.text(.ticketOpened(id: ticket.id, position: position, opening: opening))
    }

    /// One line to the staff channel: the ticket, where, why, and how to claim it. The
    /// customer's name is written so that it does not highlight them.
    func announce(_ ticket: Ticket, in helpdesk: HelpdeskPolicy) async {
        let last = ticket.transcript.last.map { " Last: \"\($0.prefix(200))\"" } ?? ""
        let note = "Ticket #\(ticket.id) from \(Self.unhighlighted(ticket.customerName)) in \(ticket.channel): "
            + "\(ticket.reason).\(last) Claim it with \(commandPrefix)claim \(ticket.id)"
        await sayToStaff(note, in: helpdesk.staffChannel)
    }

    /// Says `text` in a staff channel, or, while its network is not up (a restart, a lost
    /// connection), holds it and says it once the network is back: nothing for staff is lost.
    func sayToStaff(_ text: String, in channel: ChannelKey) async {
        guard networkStates[channel.network] == .up, await outbox.say(text, to: .note(in: channel)) else {
            logger.info("the staff channel's network is not up; the line waits for it", metadata: ["bot.channel": "\(channel)"])
            heldForStaff[channel.network, default: []].append((text, channel))
            return
        }
    }

    /// Says what waited for `network`, in order.
    func releaseHeldLines(for network: NetworkID) async {
        guard let lines = heldForStaff.removeValue(forKey: network) else { return }
        for (index, line) in lines.enumerated() where !(await outbox.say(line.text, to: .note(in: line.channel))) {
            heldForStaff[network, default: []].append(contentsOf: lines[index...])
            return
        }
    }

    /// `name` with a zero-width space after its first character: read the same, but no client
    /// takes it for the person's nick.
    static func unhighlighted(_ name: String) -> String {
        guard let first = name.first else { return name }
        return String(first) + "\u{200B}" + name.dropFirst()
    }

    /// Announces the ticket again each `timeout` while nobody has claimed it.
    func scheduleReannouncement(of id: Int, after timeout: Duration) {
        reannouncements[id]?.cancel()
        reannouncements[id] = Task { [clock] in
            while !Task.isCancelled {
                do { try await clock.sleep(for: timeout) } catch { return }
                guard await self.reannounce(id) else { return }
            }
        }
    }

    /// Announces ticket `id` again if it is still unclaimed; false once it is not.
    func reannounce(_ id: Int) async -> Bool {
        guard let ticket = liveTickets[id], ticket.state == .open,
              let helpdesk = policies.policy(for: ticket.channel, isDirect: ticket.isDirect).helpdesk else {
            reannouncements[id] = nil
            return false
        }
        logger.notice("ticket still unclaimed; announced again", metadata: ["bot.ticket": "\(id)"])
        await announce(ticket, in: helpdesk)
        return true
    }

    /// A claimed ticket's customer wrote: the line goes to the staff channel and into the
    /// conversation's transcript; the bot does not answer.
    func relay(_ message: InboundMessage, for ticket: Ticket) async {
        let policy = policy(of: message)
        guard let helpdesk = policy.helpdesk else { return }
        let key = SessionKey(for: message, scope: policy.scope)
        let entry = ContextEntry(
            role: .user, speaker: message.sender.id, speakerName: message.sender.displayName, text: message.text, time: message.time)
        await addToConversation(entry, key: key)
        await sayToStaff("[#\(ticket.id)] \(Self.unhighlighted(ticket.customerName)): \(message.text)", in: helpdesk.staffChannel)
    }

    /// Into the conversation held in memory, or straight into storage (a session made here
    /// would have no worker to answer its queue).
    private func addToConversation(_ entry: ContextEntry, key: SessionKey) async {
        if let session = sessions[key] { await session.record(entry, now: clock.now()) } else { await store?.append(entry, to: key) }
    }

    /// Counts "don't know" answers per conversation; the second in a row opens a ticket.
    func knowledgeOutcome(_ message: InboundMessage, knew: Bool) async {
        let key = SessionKey(for: message, scope: policy(of: message).scope)
        guard !knew else {
            dontKnowStreak[key] = nil
            return
        }
        dontKnowStreak[key, default: 0] += 1
        guard dontKnowStreak[key] == 2 else { return }
        dontKnowStreak[key] = nil
        if let text = await openTicket(for: message, reason: "two questions the documents do not answer") {
            await deliver(text, to: message)
        }
    }

    // MARK: - Staff commands

    /// The ticket `id`, if `message` comes from staff (or an admin) in its staff channel.
    private func staffTicket(_ id: Int, for message: InboundMessage) throws -> (Ticket, HelpdeskPolicy) {
        guard let ticket = liveTickets[id] else { throw HelpdeskError.noTicket(id) }
        guard let helpdesk = policies.policy(for: ticket.channel, isDirect: ticket.isDirect).helpdesk,
              helpdesk.staffChannel == message.channel else { throw HelpdeskError.notHere(id) }
        return (ticket, helpdesk)
    }

    public func isStaff(_ message: InboundMessage) -> Bool {
        let roles = roles(of: message.sender, in: message.channel)
        return roles.contains(.staff) || roles.contains(.admin)
    }

    public func requestHuman(_ message: InboundMessage) async -> String {
        await openTicket(for: message, reason: "asked for a person") ?? policy(of: message).text(.escalated)
    }

    public func claimTicket(_ id: Int, by message: InboundMessage) async throws -> String {
        var (ticket, _) = try staffTicket(id, for: message)
        if ticket.state == .claimed, let staff = ticket.staff { return "Ticket #\(id) is already claimed by \(staff)." }
        ticket.state = .claimed
        ticket.staff = message.sender.account ?? message.sender.displayName
        ticket.claimed = now()
        try await save(ticket)
        reannouncements.removeValue(forKey: id)?.cancel()
        return "Ticket #\(id) is yours: I stay quiet with \(Self.unhighlighted(ticket.customerName)) and relay what they write here. "
            + "Answer with \(commandPrefix)reply \(id) TEXT, hand them back with \(commandPrefix)close \(id)."
    }

    public func replyToTicket(_ id: Int, text: String, by message: InboundMessage) async throws -> String? {
        let (ticket, _) = try staffTicket(id, for: message)
        guard ticket.state == .claimed else { throw HelpdeskError.notClaimed(id) }
        let line = ticket.isDirect ? text : "\(ticket.customerName): \(text)"
        guard await outbox.say(line, to: .note(in: ticket.channel)) else { return "Ticket #\(id): the customer's network did not take the message." }
        let policy = policies.policy(for: ticket.channel, isDirect: ticket.isDirect)
        let key = SessionKey(channel: ticket.channel, user: policy.scope == .user ? ticket.customer : nil)
        let entry = ContextEntry(role: .assistant, speaker: nil, speakerName: "", addressee: ticket.customer, text: text)
        await addToConversation(entry, key: key)
        return nil
    }

    public func closeTicket(_ id: Int, by message: InboundMessage) async throws -> String {
        var (ticket, _) = try staffTicket(id, for: message)
        ticket.state = .closed
        ticket.closed = now()
        try await save(ticket)
        liveTickets[id] = nil
        reannouncements.removeValue(forKey: id)?.cancel()
        let policy = policies.policy(for: ticket.channel, isDirect: ticket.isDirect)
        await outbox.say(policy.text(.ticketClosed(id: id)), to: .note(in: ticket.channel))
        return "Ticket #\(id) is closed; I answer \(Self.unhighlighted(ticket.customerName)) again."
    }

    public func ticketSummary(for message: InboundMessage) -> String {
        let here = liveTickets.values.filter { ticket in
            policies.policy(for: ticket.channel, isDirect: ticket.isDirect).helpdesk?.staffChannel == message.channel
        }.sorted { $0.id < $1.id }
        guard !here.isEmpty else { return "No open tickets." }
        return here.map { ticket in
            "#\(ticket.id) \(ticket.state.rawValue)\(ticket.staff.map { " by \($0)" } ?? ""): "
                + "\(Self.unhighlighted(ticket.customerName)) in \(ticket.channel), \(ticket.reason)"
        }.joined(separator: "; ")
    }

    private func save(_ ticket: Ticket) async throws {
        liveTickets[ticket.id] = ticket
        try await ticketStore?.updateTicket(ticket)
    }
}

/// A staff command about a ticket that cannot be done.
public enum HelpdeskError: Error, Equatable, CustomStringConvertible, UserPresentableError {
    case noTicket(Int)
    case notHere(Int)
    case notClaimed(Int)

    public var description: String {
        switch self {
        case .noTicket(let id): "There is no open ticket #\(id)."
        case .notHere(let id): "Ticket #\(id) belongs to another staff channel."
        case .notClaimed(let id): "Ticket #\(id) is not claimed; claim it first."
        }
    }

    public var userMessage: String { description }
}
