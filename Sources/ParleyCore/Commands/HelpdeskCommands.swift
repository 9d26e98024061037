/// `!human`: asks for a person (in a helpdesk channel, a ticket).
struct HumanCommand: Command {
    let name = "human"
    let aliases = ["person", "agent"]
    let summary = "talk to a person"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        await invocation.bot.requestHuman(invocation.message)
    }
}

/// The staff's commands on tickets, in the staff channel: `!claim N`, `!reply N TEXT`,
/// `!close N`, `!tickets`. By account: the `staff` role, or an admin.
struct TicketCommand: Command {
    enum Action: String, CaseIterable {
        case claim, reply, close, tickets
    }

    let action: Action
    var name: String { action.rawValue }
    var summary: String {
        switch action {
        case .claim: "take a ticket: the bot stays quiet with that customer (staff)"
        case .reply: "answer a claimed ticket's customer (staff)"
        case .close: "close a ticket: the bot answers the customer again (staff)"
        case .tickets: "list the open tickets (staff)"
        }
    }
    var usage: String {
        switch action {
        case .claim, .close: "\(name) N"
        case .reply: "reply N TEXT"
        case .tickets: "tickets"
        }
    }

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let bot = invocation.bot
        let message = invocation.message
        guard await bot.isStaff(message) else {
            return await bot.sentence(.staffOnly(command: bot.commandPrefix + name), for: message)
        }
        if action == .tickets { return await bot.ticketSummary(for: message) }
        let words = invocation.arguments.split(separator: " ", maxSplits: 1).map(String.init)
        guard let first = words.first, let id = Int(first.trimmingPrefix("#")),
              action != .reply || words.count == 2 else { return "Usage: \(bot.commandPrefix)\(usage)" }
        switch action {
        case .claim: return try await bot.claimTicket(id, by: message)
        case .reply: return try await bot.replyToTicket(id, text: words[1], by: message)
        case .close: return try await bot.closeTicket(id, by: message)
        case .tickets: return nil
        }
    }
}
