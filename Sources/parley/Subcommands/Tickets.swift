import ArgumentParser
import Foundation
import ParleyCore
import ParleyDaemon
import ParleyStore

/// `parley tickets list|show N`: the helpdesk's tickets, from the config's store.
struct TicketsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickets", abstract: "List and show helpdesk tickets.", subcommands: [TicketsList.self, TicketsShow.self])
}

struct TicketsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The tickets, newest last.")

    @OptionGroup var options: DaemonOptions

    @Flag(help: "Closed tickets too.")
    var all = false

    func run() async throws {
        let configuration = try reportingInputErrors { try options.loadConfiguration() }
        let store = try SQLiteStore(path: configuration.storage.path)
        let tickets = try await store.tickets(in: all ? Set(Ticket.State.allCases) : [.open, .claimed])
        if tickets.isEmpty { print(all ? "no tickets" : "no open tickets") }
        for ticket in tickets {
            print("#\(ticket.id)  \(ticket.state.rawValue)\(ticket.staff.map { " by \($0)" } ?? "")  \(ticket.channel)  \(ticket.customerName): \(ticket.reason)")
        }
    }
}

struct TicketsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One ticket, with the lines that led to it.")

    @OptionGroup var options: DaemonOptions

    @Argument(help: "The ticket's number.")
    var id: Int

    func run() async throws {
        let configuration = try reportingInputErrors { try options.loadConfiguration() }
        let store = try SQLiteStore(path: configuration.storage.path)
        guard let ticket = try await store.ticket(id) else {
            FileHandle.standardError.write(Data("error: no ticket #\(id)\n".utf8))
            throw ExitCode(1)
        }
        let format = ISO8601DateFormatter()
        print("ticket #\(ticket.id): \(ticket.state.rawValue)\(ticket.staff.map { ", claimed by \($0)" } ?? "")")
        print("customer: \(ticket.customerName) (\(ticket.customer)) in \(ticket.channel)\(ticket.isDirect ? ", direct" : "")")
        print("reason: \(ticket.reason)")
        print("opened \(format.string(from: ticket.opened))"
            + (ticket.claimed.map { ", claimed \(format.string(from: $0))" } ?? "")
            + (ticket.closed.map { ", closed \(format.string(from: $0))" } ?? ""))
        for line in ticket.transcript { print("  \(line)") }
    }
}
