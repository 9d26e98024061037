import Foundation
import ParleyCore
import ParleyIRC
import ParleyTesting
import Testing

/// One `parley run` on the test IRC network and the test homeserver at once. In the Matrix suite,
/// which runs one test at a time: two bots on the shared Matrix account would both answer.
extension MatrixNetworkTests {
    /// The daemon's config for both networks; the Matrix account signs in with `token`.
    func twoNetworkConfig(irc: TestNetwork, nick: String, channel: String, token: String, database: String) -> String {
        """
        storage: { path: \(database) }
        backends:
          answer: { type: echo }
        networks:
          irc:
            type: irc
            host: localhost
            port: \(irc.tlsPort)
            tls: { ca_file: \(irc.caFile) }
            nick: \(nick)
            sasl: { mechanism: plain, account: \(irc.botAccount), password: "\(irc.botPassword)" }
            channels: ["\(channel)"]
          matrix:
            type: matrix
            homeserver: \(server.homeserver.absoluteString)
            user_id: "\(server.botUser)"
            access_token: "\(token)"
            invites_from: ["\(server.humanUser)"]
            edit_interval_ms: 200
            max_reconnect_delay_s: 2
        defaults: { backend: answer, queue: 100, trigger: [mention, direct] }
        moderation: { rate_limit: { per_user: off, per_channel: off } }
        logging: { level: debug }

        """
    }

    // Issue 11: networks fail alone. The Matrix token is revoked through Synapse's admin API: IRC
    // keeps answering and !status says Matrix is down; a new token in the config and a restart
    // bring Matrix back.
    @Test func aRevokedMatrixTokenTakesDownMatrixAloneAndANewTokenBringsItBack() async throws {
        let irc = try TestNetwork.load()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-two-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configPath = folder.appendingPathComponent("parley.yaml").path
        let nick = TestNetwork.unique("pb")
        let channel = "#" + TestNetwork.unique("both")
        var botLogin = try await MatrixHuman.login(server.homeserver, user: server.botUser, password: server.botPassword)
        func writeConfig() throws {
            try twoNetworkConfig(
                irc: irc, nick: nick, channel: channel, token: botLogin.token,
                database: folder.appendingPathComponent("p.sqlite").path
            ).write(toFile: configPath, atomically: true, encoding: .utf8)
        }
        try writeConfig()
        let parley = server.repository.appendingPathComponent(".build/debug/parley").path
        let output = folder.appendingPathComponent("parley.log").path
        var process = try ChildProcess.spawn([parley, "run", "--config", configPath], outputPath: output)
        defer { process.send(SIGKILL); process.wait() }

        // Both networks answer.
        let person = try await HumanClient.connect(to: irc, nick: TestNetwork.unique("hu"))
        defer { person.quit() }
        try await person.join(channel)
        _ = try await waitFor("the bot in \(channel)") {
            person.messages {
                ($0.command == "JOIN" && $0.source?.nick == nick)
                    || ($0.command == "353" && ($0.parameters.last ?? "").split(separator: " ").contains { $0.hasSuffix(nick) })
            }.isEmpty ? nil : true
        }
        person.say("\(nick): first over IRC", to: channel)
        _ = try await person.waitFor("the IRC answer", timeout: .seconds(30)) { $0.source?.nick == nick && ($0.parameters.last ?? "").contains("first over IRC") }
        let human = try await server.human()
        let room = try await roomWithBot(human)
        let first = try await human.mention(server.botUser, "first over Matrix", in: room)
        _ = try await waitFor("the Matrix answer") { try await human.replies(from: server.botUser, in: room)[first] }

        // The token is revoked: its device deleted by an admin (alice is one on the test server).
        let device = try #require(botLogin.deviceID)
        _ = try await human.call("DELETE", "/_synapse/admin/v2/users/\(MatrixHuman.encode(server.botUser))/devices/\(MatrixHuman.encode(device))")
        let status = try await waitFor("!status to report Matrix down", timeout: .seconds(90), every: .seconds(1)) { () -> String? in
            person.say("!status", to: channel)
            let reports = person.lines(from: nick, in: channel).map(\.text).filter { $0.contains("Networks:") }
            return reports.last { $0.contains("matrix down") }
        }
        #expect(status.contains("irc up"), "\(status)")
        person.say("\(nick): still there over IRC?", to: channel)
        _ = try await person.waitFor("the IRC answer while Matrix is down", timeout: .seconds(30)) {
            $0.source?.nick == nick && ($0.parameters.last ?? "").contains("still there over IRC?")
        }

        // A new token in the config and a restart: Matrix answers again.
        botLogin = try await MatrixHuman.login(server.homeserver, user: server.botUser, password: server.botPassword)
        try writeConfig()
        process.send(SIGTERM)
        #expect(process.wait() == 0)
        process = try ChildProcess.spawn([parley, "run", "--config", configPath], outputPath: output)
        let again = try await human.mention(server.botUser, "back over Matrix?", in: room)
        _ = try await waitFor("the Matrix answer after the new token", timeout: .seconds(90)) {
            try await human.replies(from: server.botUser, in: room)[again]
        }
    }
}
