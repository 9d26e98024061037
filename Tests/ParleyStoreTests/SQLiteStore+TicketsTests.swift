import Foundation
import ParleyCore
import ParleyStore
import Testing

@Suite struct SQLiteStoreTicketsTests {
    @Test func ticketsAreNumberedKeptAndFoundByState() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-tickets-\(UUID().uuidString).sqlite").path
        let opened = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try SQLiteStore(path: path)
        var one = try await first.openTicket(Ticket(
            channel: ChannelKey(network: "matrix", channel: "!room:hs"), isDirect: true, customer: "@c:hs", customerName: "Cee",
            reason: "asked for a person", transcript: ["Cee: help", "bot: \"quoted\" ✓"], opened: opened))
        let two = try await first.openTicket(Ticket(
            channel: ChannelKey(network: "irc", channel: "#help"), isDirect: false, customer: "d", customerName: "d",
            reason: "r", transcript: [], opened: opened))
        #expect(one.id == 1 && two.id == 2)
        one.state = .claimed
        one.staff = "agent"
        one.claimed = opened + 60
        try await first.updateTicket(one)

        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.ticket(1) == one, "everything survives a restart")
        #expect(try await reopened.tickets(in: [.claimed]).map(\.id) == [1])
        #expect(try await reopened.tickets(in: [.open, .claimed]).map(\.id) == [1, 2])
        #expect(try await reopened.ticket(3) == nil)
        try? FileManager.default.removeItem(atPath: path)
    }
}
