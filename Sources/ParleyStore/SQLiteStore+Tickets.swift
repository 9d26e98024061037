public import ParleyCore
import Foundation
import GRDB

/// Helpdesk tickets, kept so that a restart keeps a claimed ticket claimed; closed ones stay for
/// `parley tickets` until retention removes them with the transcripts.
extension SQLiteStore: TicketStore {
    public func openTicket(_ ticket: Ticket) async throws -> Ticket {
        try await database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO ticket (network, channel, direct, customer, customer_name, reason, transcript, state, staff,
                                        opened_at, claimed_at, closed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: Self.columns(of: ticket))
            var stored = ticket
            stored.id = Int(db.lastInsertedRowID)
            return stored
        }
    }

    public func updateTicket(_ ticket: Ticket) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    UPDATE ticket SET network = ?, channel = ?, direct = ?, customer = ?, customer_name = ?, reason = ?,
                        transcript = ?, state = ?, staff = ?, opened_at = ?, claimed_at = ?, closed_at = ? WHERE id = ?
                    """,
                arguments: Self.columns(of: ticket) + [ticket.id])
        }
    }

    public func tickets(in states: Set<Ticket.State>) async throws -> [Ticket] {
        let names = states.map(\.rawValue)
        return try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM ticket WHERE state IN (\(names.map { _ in "?" }.joined(separator: ", "))) ORDER BY id",
                arguments: StatementArguments(names)
            ).compactMap(Self.ticket(from:))
        }
    }

    public func ticket(_ id: Int) async throws -> Ticket? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM ticket WHERE id = ?", arguments: [id]).flatMap(Self.ticket(from:))
        }
    }

    private static func columns(of ticket: Ticket) -> StatementArguments {
        let transcript = (try? JSONEncoder().encode(ticket.transcript)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        return [
            ticket.channel.network.rawValue, ticket.channel.channel, ticket.isDirect, ticket.customer.rawValue, ticket.customerName,
            ticket.reason, transcript, ticket.state.rawValue, ticket.staff, ticket.opened.timeIntervalSince1970,
            ticket.claimed?.timeIntervalSince1970, ticket.closed?.timeIntervalSince1970,
        ]
    }

    private static func ticket(from row: Row) -> Ticket? {
        guard let state = Ticket.State(rawValue: row["state"]) else { return nil }
        let transcript = (row["transcript"] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        return Ticket(
            id: row["id"], channel: ChannelKey(network: NetworkID(row["network"] as String), channel: row["channel"]),
            isDirect: row["direct"], customer: UserID(row["customer"] as String), customerName: row["customer_name"],
            reason: row["reason"], transcript: transcript, state: state, staff: row["staff"],
            opened: Date(timeIntervalSince1970: row["opened_at"]),
            claimed: (row["claimed_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            closed: (row["closed_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
