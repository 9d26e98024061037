import Foundation
import ParleyCore
import ParleyIRC
import ParleyMatrix
import ParleyStore
import ParleyTesting
import Testing

/// One `parley run` on the test IRC network and the test homeserver at once. In the Matrix suite,
/// which runs one test at a time: two bots on the shared Matrix account would both answer.
extension MatrixNetworkTests {
    /// The daemon's config for both networks; the Matrix account signs in with `token`.
    func twoNetworkConfig(
        irc: TestNetwork, nick: String, channel: String, token: String, database: String,
        backend: String = "{ type: echo }", ircExtra: String = "", defaultsExtra: String = "", extra: String = ""
    ) -> String {
        """
        storage: { path: \(database) }
        backends:
          answer: \(backend)
        networks:
        \(irc.botNetworkYAML(nick: nick, channel: channel, extra: ircExtra))
          matrix:
            type: matrix
            homeserver: \(server.homeserver.absoluteString)
            user_id: "\(server.botUser)"
            access_token: "\(token)"
            invites_from: ["\(server.humanUser)"]
            edit_interval_ms: 200
            max_reconnect_delay_s: 2
        defaults: { backend: answer, queue: 100, trigger: [mention, direct]\(defaultsExtra) }
        \(extra)
        moderation: { rate_limit: { per_user: off, per_channel: off } }
        logging: { level: debug }

        """
    }

    /// A person on the IRC network in `channel`, once the bot `nick` is there too.
    func personBesideTheBot(in channel: String, bot nick: String, on irc: TestNetwork) async throws -> HumanClient {
        let person = try await HumanClient.connect(to: irc, nick: TestNetwork.unique("hu"))
        try await person.join(channel)
        _ = try await waitFor("the bot in \(channel)") {
            person.messages {
                ($0.command == "JOIN" && $0.source?.nick == nick)
                    || ($0.command == "353" && ($0.parameters.last ?? "").split(separator: " ").contains { $0.hasSuffix(nick) })
            }.isEmpty ? nil : true
        }
        return person
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
        let person = try await personBesideTheBot(in: channel, bot: nick, on: irc)
        defer { person.quit() }
        person.say("\(nick): first over IRC", to: channel)
        _ = try await person.waitFor("the IRC answer", timeout: .seconds(30)) { $0.source?.nick == nick && ($0.parameters.last ?? "").contains("first over IRC") }
        let human = try await server.human()
        let room = try await roomWithBot(human)
        let first = try await human.mention(server.botUser, "first over Matrix", in: room)
        _ = try await waitFor("the Matrix answer") { try await human.replies(from: server.botUser, in: room)[first] }

        // The token is revoked: its device deleted by an admin (alice is one on the test server).
        let device = try #require(botLogin.deviceID)
        _ = try await human.call("DELETE", "/_synapse/admin/v2/users/\(MatrixHuman.encode(server.botUser))/devices/\(MatrixHuman.encode(device))")
        // Asked every 3 s: faster than the bot's flood pace (a line per 1.2 s after a burst of 4),
        // the answers would queue, and the next question would wait behind them.
        let status = try await waitFor("!status to report Matrix down", timeout: .seconds(90), every: .seconds(3)) { () -> String? in
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

extension MatrixNetworkTests {
    /// `text` with every run of white space made one space.
    static func words(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    // Issue 11: SIGTERM while replies stream. On IRC the reply's remaining lines arrive, then QUIT;
    // on Matrix the final edit lands; the daemon exits 0 within the drain time, and nothing
    // recorded is lost.
    @Test func sigtermWhileRepliesStreamLetsThemFinishThenQuits() async throws {
        let irc = try TestNetwork.load()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-drain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configPath = folder.appendingPathComponent("parley.yaml").path
        let database = folder.appendingPathComponent("p.sqlite").path
        let nick = TestNetwork.unique("pb")
        let channel = "#" + TestNetwork.unique("drain")
        let model = server.repository.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let token = try await MatrixHuman.login(server.homeserver, user: server.botUser, password: server.botPassword).token
        try twoNetworkConfig(
            irc: irc, nick: nick, channel: channel, token: token, database: database,
            backend: "{ type: local, model: \(model), context: 2048 }\n  quote: { type: echo }",
            ircExtra: "    flood: { burst: 1, interval_ms: 1000 }\n    max_lines_per_reply: 0",
            defaultsExtra: ", max_tokens: 160, temperature: 0",
            // IRC quotes the question back (long, so several lines wait in the flood queue).
            extra: "channels: [{ match: { network: irc }, backend: quote }]\nshutdown: { drain_s: 120 }"
        ).write(toFile: configPath, atomically: true, encoding: .utf8)
        let parley = server.repository.appendingPathComponent(".build/debug/parley").path
        let output = folder.appendingPathComponent("parley.log").path
        let process = try ChildProcess.spawn([parley, "run", "--config", configPath], outputPath: output)
        defer { process.send(SIGKILL); process.wait() }

        let person = try await personBesideTheBot(in: channel, bot: nick, on: irc)
        defer { person.quit() }
        let human = try await server.human()
        let room = try await roomWithBot(human)

        // SIGTERM while the Matrix reply streams from the engine and the IRC reply's lines wait
        // in the flood queue: both must arrive whole before the daemon stops.
        let question = try await human.mention(server.botUser, "Write a numbered list of ten fruits, one per line, with a sentence about each.", in: room)
        let first = try await waitFor("the Matrix reply's first part", timeout: .seconds(120), every: .milliseconds(50)) {
            try await human.replies(from: server.botUser, in: room)[question]?.first
        }
        // As long as one line from a person may be: the quote needs two lines, the second paced.
        let long = (1...69).map { "word\($0)" }.joined(separator: " ")
        person.say("\(nick): " + long, to: channel)
        _ = try await person.waitFor("the IRC reply's first line", timeout: .seconds(30)) { $0.source?.nick == nick && $0.command == "PRIVMSG" }
        process.send(SIGTERM)
        #expect(process.wait() == 0)

        // What was recorded is what reached each network, in full.
        let store = try SQLiteStore(path: database)
        let ircAnswer = try #require(try await store.entries(of: SessionKey(channel: ChannelKey(network: "irc", channel: channel)), limit: 10)
            .last { $0.role == .assistant })
        let quits = person.messages { $0.command == "QUIT" && $0.source?.nick == nick }
        let quit = try #require(quits.first)
        // The bot's own QUIT, not the server noticing a connection dropped mid-flush.
        #expect(quit.message.parameters.last?.contains("Parley shutting down") == true, "\(quit.message)")
        let lines = person.lines(from: nick, in: channel).filter { $0.at < quit.at }.map(\.text)
        #expect(Self.words(lines.joined(separator: " ")) == Self.words("\(person.nick): " + ircAnswer.text), "\(lines)")
        #expect(person.lines(from: nick, in: channel).allSatisfy { $0.at < quit.at }, "a line after QUIT")

        let roomChannel = ChannelKey(network: "matrix", channel: room)
        let matrixAnswer = try #require(try await store.entries(of: SessionKey(channel: roomChannel), limit: 10).last { $0.role == .assistant })
        let shown = try #require(try await human.currentContent(of: first, in: room))
        #expect(Self.words(shown["body"]?.string ?? "") == Self.words(matrixAnswer.text))
        #expect(lines.count >= 2, "the IRC reply was long enough to be paced: \(lines.count) lines")
        if lines.count < 2 {
            // What the person saw from the bot, and what the bot logged, for the next look at it.
            let seen = person.messages { $0.source?.nick == nick }.map { "\($0.message.command) \($0.message.parameters.last?.prefix(40) ?? "") at \($0.at)" }
            print("the person saw from the bot: \(seen)")
            print("the bot's log: \((try? String(contentsOfFile: output, encoding: .utf8))?.suffix(4000) ?? "")")
        }
    }
}
