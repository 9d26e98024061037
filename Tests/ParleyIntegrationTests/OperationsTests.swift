import Foundation
import ParleyCore
import ParleyHTTP
import ParleyIRC
import ParleyTesting
import Testing

/// Issue 16 against the real servers, through `parley run`: reload on SIGHUP, settings from chat,
/// the admin listener. `scripts/test` runs this suite alone, after the others: it stops and starts
/// the IRC server, and signs in the shared Matrix bot account.
@Suite(.serialized) struct OperationsTests {
    let irc: TestNetwork
    let matrix: MatrixTestServer
    let folder: URL

    init() throws {
        irc = try TestNetwork.load()
        matrix = try MatrixTestServer.load()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    var parley: String { matrix.repository.appendingPathComponent(".build/debug/parley").path }

    /// One SSE reply of an OpenAI-compatible server.
    static func sse(_ text: String) -> ScriptedHTTPServer.Reply {
        .respond(status: 200, pieces: [
            ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(text)\"},\"finish_reason\":null}]}\n\n", .zero),
            ("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", .zero),
        ])
    }

    /// Lines of the daemon's log that contain `text`.
    func log(_ path: String, containing text: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.contains(text) }.count
    }

    /// A person in `channel` once the bot `nick` is there.
    func person(in channel: String, besideBot nick: String, account: Bool = false) async throws -> HumanClient {
        let person = try await HumanClient.connect(
            to: irc, nick: TestNetwork.unique("hu"), account: account ? (irc.humanAccount, irc.humanPassword) : nil)
        try await person.join(channel)
        _ = try await person.waitFor("the bot in \(channel)", timeout: .seconds(30)) {
            ($0.command == "JOIN" && $0.source?.nick == nick)
                || ($0.command == "353" && ($0.parameters.last ?? "").split(separator: " ").contains { $0.hasSuffix(nick) })
        }
        return person
    }

    /// The bot's next line in `channel` after `count` lines from it.
    func line(from nick: String, in channel: String, to person: HumanClient, after count: Int) async throws -> String {
        try await eventually("line \(count + 1) from the bot", timeout: .seconds(30)) {
            let lines = person.lines(from: nick, in: channel)
            return lines.count > count ? lines[count].text : nil
        }
    }

    // SIGHUP reloads on a live IRC connection: the next reply has the new system prompt, and the
    // person in the channel sees no QUIT, PART or JOIN; an invalid config is refused and the bot
    // keeps answering with the old one; an admin's `!reload` does the same as SIGHUP.
    @Test func sighupAndReloadGiveTheNextReplyANewPromptWithoutAReconnectAndABadConfigIsRefused() async throws {
        let server = try ScriptedHTTPServer((1...4).map { Self.sse("answer \($0)") })
        defer { server.stop() }
        let nick = TestNetwork.unique("pr")
        let channel = "#" + TestNetwork.unique("hup")
        let second = "#" + TestNetwork.unique("added")
        let configPath = folder.appendingPathComponent("parley.yaml").path
        func config(prompt: String, backend: String = "hosted", channels: [String]? = nil) -> String {
            """
            storage: { path: \(folder.appendingPathComponent("p.sqlite").path) }
            backends:
              hosted: { type: openai, base_url: "\(server.baseURL.absoluteString)", model: m, retries: 0 }
            networks:
            \(irc.botNetworkYAML(nick: nick, channel: channel, extra: "    reconnect_delay_s: 1\n    max_reconnect_delay_s: 2\n")
                .replacingOccurrences(of: "channels: [\"\(channel)\"]", with: "channels: [\((channels ?? [channel]).map { "\"\($0)\"" }.joined(separator: ", "))]"))
            defaults: { backend: \(backend), system_prompt: "\(prompt)" }
            admins: [{ network: irc, account: \(irc.humanAccount) }]
            moderation: { rate_limit: { per_user: off, per_channel: off } }

            """
        }
        try config(prompt: "You are Alpha.").write(toFile: configPath, atomically: true, encoding: .utf8)
        let output = folder.appendingPathComponent("parley.log").path
        let process = try ChildProcess.spawn([parley, "run", "--config", configPath], outputPath: output)
        defer { process.send(SIGKILL); process.wait() }
        let person = try await person(in: channel, besideBot: nick, account: true)
        defer { person.quit() }
        let comings = { person.messages { ["JOIN", "PART", "QUIT"].contains($0.command) && $0.source?.nick == nick }.count }
        let before = comings()

        person.say("\(nick): who are you?", to: channel)
        #expect(try await line(from: nick, in: channel, to: person, after: 0).contains("answer 1"))
        #expect(server.requests[0].contains("You are Alpha."))

        try config(prompt: "You are Beta.").write(toFile: configPath, atomically: true, encoding: .utf8)
        process.send(SIGHUP)
        _ = try await eventually("the reload") { log(output, containing: "config reloaded") > 0 ? true : nil }
        person.say("\(nick): and now?", to: channel)
        #expect(try await line(from: nick, in: channel, to: person, after: 1).contains("answer 2"))
        #expect(server.requests[1].contains("You are Beta."))
        #expect(!server.requests[1].contains("You are Alpha."))

        try config(prompt: "You are Gamma.", backend: "nonexistent").write(toFile: configPath, atomically: true, encoding: .utf8)
        process.send(SIGHUP)
        _ = try await eventually("the refusal") { log(output, containing: "reload refused") > 0 ? true : nil }
        person.say("\(nick): still Beta?", to: channel)
        #expect(try await line(from: nick, in: channel, to: person, after: 2).contains("answer 3"))
        #expect(server.requests[2].contains("You are Beta."))

        // The same by the admin command, with a channel added: joined on the same connection.
        let watcher = try await HumanClient.connect(to: irc, nick: TestNetwork.unique("wa"))
        defer { watcher.quit() }
        try await watcher.join(second)
        try config(prompt: "You are Delta.", channels: [channel, second]).write(toFile: configPath, atomically: true, encoding: .utf8)
        person.say("!reload", to: channel)
        let reloaded = try await line(from: nick, in: channel, to: person, after: 3)
        #expect(reloaded.contains("Reloaded: 0 channel rules, 1 backends") && reloaded.contains("channels changed on: irc"), "\(reloaded)")
        _ = try await watcher.waitFor("the bot in the added channel", timeout: .seconds(30)) { $0.command == "JOIN" && $0.source?.nick == nick }
        person.say("\(nick): and Delta?", to: channel)
        #expect(try await line(from: nick, in: channel, to: person, after: 4).contains("answer 4"))
        #expect(server.requests[3].contains("You are Delta."))
        #expect(comings() == before, "the bot left, joined or quit during the reloads")
        #expect(log(output, containing: "connecting") == 1, "one connection for the whole test")
    }

    /// GET `path` on the admin listener; the status and the body.
    static func get(_ port: UInt16, _ path: String, token: String?) async throws -> (status: Int, body: String) {
        var headers: HTTPHeaders = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let response = try await CurlHTTPClient().send(
            HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(port)\(path)")!, headers: headers,
                        idleTimeout: .seconds(10), totalTimeout: .seconds(10)))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// The samples of a Prometheus text exposition, by series (`name{labels}`).
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// `promtool check metrics` on `text`; its output, and whether it passed.
    func promtool(_ text: String) throws -> (passed: Bool, output: String) {
        let input = folder.appendingPathComponent("metrics-\(UUID().uuidString).txt").path
        let output = input + ".out"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let child = try ChildProcess.spawn(["/bin/sh", "-c", "promtool check metrics < '\(input)'"], outputPath: output)
        let status = child.wait()
        return (status == 0, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    func ircServer(_ command: String) throws {
        try ChildProcess.run(["/bin/bash", matrix.repository.appendingPathComponent("scripts/irc-test-server").path, command])
    }

    // The admin listener on a daemon with IRC and Matrix: a conversation on each moves the
    // counters and histograms, `promtool check metrics` passes, `/ready` follows the IRC server
    // down and back up, `parley status` reports; a channel operator's `!config set` works (a
    // plain user's is refused), and it and a Matrix admin's `!pause` survive a restart.
    @Test func metricsReadinessStatusAndChatSettingsOnIRCAndMatrix() async throws {
        let nick = TestNetwork.unique("pm")
        let channel = "#" + TestNetwork.unique("ops")
        let port = unusedLocalPort()
        let token = "tok-" + UUID().uuidString
        let tokenFile = folder.appendingPathComponent("admin-token").path
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let configPath = folder.appendingPathComponent("parley.yaml").path
        // The IRC op is no admin: only `channel_ops_may_configure` lets them configure.
        try """
            storage: { path: \(folder.appendingPathComponent("p.sqlite").path) }
            backends:
              answer: { type: echo }
            networks:
            \(irc.botNetworkYAML(nick: nick, channel: channel, extra: "    reconnect_delay_s: 1\n    max_reconnect_delay_s: 2\n"))
              matrix:
                type: matrix
                homeserver: \(matrix.homeserver.absoluteString)
                user_id: "\(matrix.botUser)"
                password: "\(matrix.botPassword)"
                invites_from: ["\(matrix.humanUser)"]
                edit_interval_ms: 200
                max_reconnect_delay_s: 2
            defaults: { backend: answer, trigger: [mention, direct], channel_ops_may_configure: true }
            admins: [{ network: matrix, account: "\(matrix.humanUser)" }]
            moderation: { rate_limit: { per_user: off, per_channel: off } }
            admin_http: { listen: "127.0.0.1:\(port)", token_file: \(tokenFile) }

            """.write(toFile: configPath, atomically: true, encoding: .utf8)

        // The channel exists before the bot comes: its creator, identified to services, is op.
        let op = try await HumanClient.connect(to: irc, nick: TestNetwork.unique("op"), account: (irc.humanAccount, irc.humanPassword))
        defer { op.quit() }
        try await op.join(channel)
        let output = folder.appendingPathComponent("parley.log").path
        var process = try ChildProcess.spawn([parley, "run", "--config", configPath], outputPath: output)
        defer { process.send(SIGKILL); process.wait() }
        _ = try await op.waitFor("the bot in \(channel)", timeout: .seconds(30)) { $0.command == "JOIN" && $0.source?.nick == nick }
        let plain = try await person(in: channel, besideBot: nick)
        defer { plain.quit() }

        let ready = try await eventually("/ready", timeout: .seconds(90)) {
            let answer = try? await Self.get(port, "/ready", token: token)
            return answer?.status == 200 ? answer : nil
        }
        #expect(ready.body.contains("\"irc\":{\"ready\":true"), "\(ready.body)")
        #expect(try await Self.get(port, "/metrics", token: nil).status == 401, "the token is asked for")
        #expect(try await Self.get(port, "/metrics", token: "wrong").status == 401)
        #expect(try await Self.get(port, "/health", token: nil).status == 200)
        let before = Self.samples(try await Self.get(port, "/metrics", token: token).body)

        // Settings from chat: the op may, the plain user may not.
        op.say("!config set system_prompt Speak like a sailor.", to: channel)
        #expect(try await line(from: nick, in: channel, to: op, after: 0) == "\(op.nick): system_prompt is now Speak like a sailor. here.")
        plain.say("!config set system_prompt Mine now.", to: channel)
        #expect(try await line(from: nick, in: channel, to: plain, after: 1).contains("is for admins"))

        // A conversation on each network; the Matrix admin pauses the room.
        plain.say("\(nick): over IRC", to: channel)
        _ = try await line(from: nick, in: channel, to: plain, after: 2)
        let human = try await matrix.human()
        let room = try await human.createRoom(inviting: [matrix.botUser])
        _ = try await eventually("the bot to join on invite", timeout: .seconds(60)) {
            try await human.membership(of: matrix.botUser, in: room) == "join" ? true : nil
        }
        let question = try await human.mention(matrix.botUser, "over Matrix", in: room)
        _ = try await eventually("the Matrix reply", timeout: .seconds(60)) { try await human.replies(from: matrix.botUser, in: room)[question] }
        let pause = try await human.say("!pause", in: room)
        _ = try await eventually("the pause", timeout: .seconds(60)) { try await human.replies(from: matrix.botUser, in: room)[pause] }

        let scraped = try await Self.get(port, "/metrics", token: token)
        let check = try promtool(scraped.body)
        #expect(check.passed, "promtool: \(check.output)")
        let after = Self.samples(scraped.body)
        for series in [
            #"parley_messages_received_total{network="irc"}"#, #"parley_messages_received_total{network="matrix"}"#,
            #"parley_messages_sent_total{network="irc"}"#, #"parley_messages_sent_total{network="matrix"}"#,
            #"parley_replies_total{network="irc"}"#, #"parley_replies_total{network="matrix"}"#,
            #"parley_reply_latency_seconds_count{network="irc"}"#, #"parley_reply_latency_seconds_count{network="matrix"}"#,
            #"parley_time_to_first_token_seconds_count{backend="answer"}"#, #"parley_generated_tokens_total{backend="answer"}"#,
        ] {
            #expect((after[series] ?? 0) > (before[series] ?? 0), "\(series) did not move")
        }
        #expect(after.keys.allSatisfy { !$0.contains(channel) && !$0.contains(room) && !$0.contains(plain.nick) }, "a user or channel in a label")

        // /ready follows the IRC server down and back.
        try ircServer("stop-ircd")
        let down = try await eventually("/ready to say not ready", timeout: .seconds(60)) {
            let answer = try? await Self.get(port, "/ready", token: token)
            return answer?.status == 503 ? answer : nil
        }
        #expect(down.body.contains("\"irc\":{\"ready\":false"), "\(down.body)")
        #expect(down.body.contains("\"matrix\":{\"ready\":true"), "\(down.body)")
        try ircServer("start-ircd")
        _ = try await eventually("/ready again", timeout: .seconds(90)) {
            (try? await Self.get(port, "/ready", token: token))?.status == 200 ? true : nil
        }
        let reconnected = Self.samples(try await Self.get(port, "/metrics", token: token).body)
        #expect((reconnected[#"parley_reconnects_total{network="irc"}"#] ?? 0) >= 1)

        // `parley status` asks the daemon.
        let statusOutput = folder.appendingPathComponent("status.txt").path
        try ChildProcess.run([parley, "status", "--config", configPath], outputPath: statusOutput)
        let status = try String(contentsOfFile: statusOutput, encoding: .utf8)
        #expect(status.contains("irc: up") && status.contains("matrix: up") && status.contains("backends: answer"), "\(status)")
        #expect(status.contains("system_prompt=Speak like a sailor.") && status.contains("paused"), "\(status)")

        // A restart keeps the setting and the pause.
        process.send(SIGTERM)
        #expect(process.wait() == 0)
        process = try ChildProcess.spawn([parley, "run", "--config", configPath], outputPath: output)
        let again = try await person(in: channel, besideBot: nick)
        defer { again.quit() }
        again.say("!status", to: channel)
        #expect(try await line(from: nick, in: channel, to: again, after: 0).contains("set here: system_prompt"))
        let asked = try await human.say("!status", in: room)
        let roomStatus = try await eventually("!status in the room", timeout: .seconds(60)) {
            try await human.replies(from: matrix.botUser, in: room)[asked]?.first
        }
        #expect(roomStatus["content"]?["body"]?.string?.contains("paused") == true, "\(roomStatus)")
    }
}
