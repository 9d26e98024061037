import Foundation
import ParleyCore
import ParleyIRC
import ParleyTesting
import Testing

/// Issue 14: the whole ticket cycle through `parley run`, a customer on Matrix (Synapse) and
/// the staff channel on IRC (inspircd). With the operations tests, which run alone: the Matrix
/// bot account is shared, and a restart of the IRC server by another suite would cut the staff.
extension OperationsTests {
    @Test func aMatrixCustomersTicketIsClaimedRelayedAndClosedFromAnIRCStaffChannelAcrossARestart() async throws {
        let network = try MatrixNetworkTests()
        let server = network.server
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-helpdesk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configPath = folder.appendingPathComponent("parley.yaml").path
        let nick = TestNetwork.unique("ph")
        let staffChannel = "#" + TestNetwork.unique("staff")
        let token = try await MatrixHuman.login(server.homeserver, user: server.botUser, password: server.botPassword).token
        try network.twoNetworkConfig(
            irc: irc, nick: nick, channel: staffChannel, token: token, database: folder.appendingPathComponent("p.sqlite").path,
            defaultsExtra: ", scope: user",
            extra: """
                channels:
                  - match: { network: matrix }
                    scope: user
                    helpdesk: { staff_channel: { network: irc, channel: "\(staffChannel)" }, claim_timeout_s: 3600 }
                staff: [{ network: irc, account: \(irc.humanAccount) }]
                """
        ).write(toFile: configPath, atomically: true, encoding: .utf8)
        let parley = server.repository.appendingPathComponent(".build/debug/parley").path
        let output = folder.appendingPathComponent("parley.log").path
        var process = try ChildProcess.spawn([parley, "run", "--config", configPath], outputPath: output)
        defer { process.send(SIGKILL); process.wait() }

        let agent = try await HumanClient.connect(to: irc, nick: TestNetwork.unique("ag"), account: (irc.humanAccount, irc.humanPassword))
        defer { agent.quit() }
        try await agent.join(staffChannel)
        let human = try await server.human()
        let room = try await network.roomWithBot(human)
        /// The bot's next line in the staff channel that contains `text`.
        func staffLine(containing text: String) async throws -> String {
            try await eventually("\"\(text)\" in the staff channel", timeout: .seconds(60)) {
                agent.lines(from: nick, in: staffChannel).map(\.text).last { $0.contains(text) }
            }
        }
        /// The bot's message in the room that contains `text`.
        func roomMessage(containing text: String) async throws -> String {
            try await network.waitFor("\"\(text)\" in the room") {
                try await human.messages(in: room).filter { $0["sender"]?.string == server.botUser }
                    .compactMap { $0["content"]?["body"]?.string }.last { $0.contains(text) }
            }
        }

        // The bot answers, then the customer asks for a person: a ticket, announced to staff.
        let first = try await human.mention(server.botUser, "where is my order?", in: room)
        _ = try await network.reply(to: first, in: room, by: human)
        _ = try await human.say("!human", in: room)
        _ = try await roomMessage(containing: "as ticket #1; you're number 1 in the queue")
        let notice = try await staffLine(containing: "Ticket #1 from")
        #expect(notice.contains("in matrix/\(room): asked for a person") && notice.hasSuffix("!claim 1"), "\(notice)")
        #expect(!notice.contains(MatrixHuman.localpart(server.humanUser)), "the customer's name would highlight them on IRC")

        // Claimed: the customer's lines go to staff, staff's reply to the customer.
        agent.say("!claim 1", to: staffChannel)
        _ = try await staffLine(containing: "Ticket #1 is yours")
        _ = try await human.say("is anybody there?", in: room)
        _ = try await staffLine(containing: "[#1]")
        #expect(try await staffLine(containing: "[#1]").hasSuffix(": is anybody there?"))
        agent.say("!reply 1 Yes, I'm looking at your order now.", to: staffChannel)
        _ = try await roomMessage(containing: "Yes, I'm looking at your order now.")

        // A restart keeps the ticket claimed.
        process.send(SIGTERM)
        #expect(process.wait() == 0)
        process = try ChildProcess.spawn([parley, "run", "--config", configPath], outputPath: output)
        _ = try await human.say("still there after all this?", in: room)
        _ = try await staffLine(containing: ": still there after all this?")
        let sinceRestart = try await human.messages(in: room).count

        // Closed: the bot answers the customer again.
        agent.say("!close 1", to: staffChannel)
        _ = try await roomMessage(containing: "Ticket #1 is closed, and I'm answering here again")
        let again = try await human.mention(server.botUser, "one more question", in: room)
        _ = try await network.reply(to: again, in: room, by: human)
        #expect(try await human.messages(in: room).count > sinceRestart)
    }
}
