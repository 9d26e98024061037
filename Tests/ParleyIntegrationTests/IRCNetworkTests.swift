import Foundation
import Logging
import ParleyCore
import ParleyDaemon
import ParleyPlugins
import ParleyStore
@testable import ParleyIRC
import ParleyTesting
import Synchronization
import Testing

/// The IRC connector against a real inspircd with atheme services on 127.0.0.1, over TLS with
/// verification. One at a time: one test restarts the server.
@Suite(.serialized) struct IRCNetworkTests {
    let network: TestNetwork

    init() throws {
        network = try TestNetwork.load()
    }

    /// A bot on the test network with a scripted backend.
    final class RunningBot: Sendable {
        let nick: String
        let log = CapturedLog()
        let connector: IRCConnector
        private let task: Task<Void, any Error>

        init(network: TestNetwork, channels: [String], reply: String, sasl: SASLCredentials? = nil, endpoint: IRCEndpoint? = nil,
             flood: FloodControl = FloodControl(burst: 4, interval: .milliseconds(500)), maxLines: Int? = nil,
             plugins: [any Plugin] = []) {
            nick = TestNetwork.unique("pb")
            let session = IRCSessionConfiguration(
                nick: nick,
                sasl: sasl ?? .plain(account: network.botAccount, password: Secret(network.botPassword)),
                channels: channels.map { .init($0) }, rejoinDelay: .seconds(1))
            let configuration = IRCConnectorConfiguration(
                network: "testnet", endpoint: endpoint ?? network.verifiedEndpoint, session: session, flood: flood,
                maxLinesPerReply: maxLines, reconnectDelay: .milliseconds(500), maxReconnectDelay: .seconds(2))
            connector = IRCConnector(configuration: configuration, logger: log.logger)
            let backend = ScriptedBackend(replying: reply)
            let bot = Bot(
                configuration: BotConfiguration(name: nick), connectors: [connector], backends: [backend],
                policies: ChannelPolicies(fallback: ChannelPolicy(backend: backend.name)), plugins: plugins,
                logger: Logger(label: "parley.test", factory: { _ in SwiftLogNoOpLogHandler() }))
            task = Task { try await bot.run() }
        }

        func stop() async {
            task.cancel()
            _ = await task.result
        }

        /// Until the bot logs that it joined `channel` (`count` times: once per connection).
        func waitUntilJoined(_ channel: String, count: Int = 1, timeout: Duration = .seconds(30)) async throws {
            _ = try await eventually("\(nick) in \(channel)", timeout: timeout) {
                log.snapshot.filter { $0.contains("joined") && $0.contains("irc.channel=\(channel)") }.count >= count ? true : nil
            }
        }

        func waitUntilRegistered() async throws {
            _ = try await eventually("\(nick) registered", timeout: .seconds(30)) { log.contains("registered") ? true : nil }
        }
    }

    @Test func connectsOverVerifiedTLSAndLogsInWithSASLPlain() async throws {
        let bot = RunningBot(network: network, channels: [], reply: "x")
        defer { Task { await bot.stop() } }
        try await bot.waitUntilRegistered()
        #expect(bot.log.contains("irc.account=\(network.botAccount)"))
        #expect(!bot.log.contains(network.botPassword))
    }

    /// Must show (issue 17): a real STS upgrade. The bot is configured for the plaintext port;
    /// inspircd's `ircv3_sts` advertises `sts=port=…` there, so the bot disconnects and comes back
    /// over verified TLS on that port, where the server's `duration` is stored; started again on
    /// the same database, it goes to TLS at once. The server's WHOIS says the link is secure.
    @Test func followsARealSTSUpgradeAndGoesStraightToTLSAfterARestart() async throws {
        let nick = TestNetwork.unique("sts")
        let database = FileManager.default.temporaryDirectory.appendingPathComponent("parley-sts-\(UUID().uuidString)/p.sqlite").path
        let text = """
            storage: { path: \(database) }
            backends: { answer: { type: echo } }
            networks:
              irc:
                type: irc
                host: localhost
                port: \(network.stsPlainPort)
                tls: { enabled: false, ca_file: \(network.caFile) }
                nick: \(nick)
                sasl: { mechanism: plain, account: \(network.botAccount), password: "\(network.botPassword)" }
            defaults: { backend: answer }
            logging: { level: debug }

            """
        func start(_ log: CapturedLog) throws -> Task<Void, any Error> {
            let assembly = try Daemon.assemble(
                try ConfigLoader.parse(text, file: "sts.yaml", environment: [:]), mode: .daemon, logger: log.logger)
            return Task { try await assembly.run() }
        }
        let human = try await HumanClient.connect(to: network, nick: TestNetwork.unique("who"))
        defer { human.quit() }
        func whoisSaysSecure() async throws {
            human.send("WHOIS", nick)
            _ = try await human.waitFor("WHOIS to say \(nick) is on a secure connection") { $0.command == "671" && $0.parameters.dropFirst().first == nick }
        }

        let firstLog = CapturedLog()
        let first = try start(firstLog)
        _ = try await eventually("the bot registered", timeout: .seconds(30)) { firstLog.contains("registered") ? true : nil }
        let connects = firstLog.snapshot.filter { $0.contains("connecting") && $0.contains("irc.port=") }
        #expect(connects.first?.contains("irc.port=\(network.stsPlainPort)") == true, "\(connects)")
        #expect(firstLog.snapshot.contains { $0.contains("upgrading to TLS as the server's STS policy requires") && $0.contains("irc.port=\(network.stsTLSPort)") })
        #expect(connects.last?.contains("irc.port=\(network.stsTLSPort)") == true)
        try await whoisSaysSecure()
        first.cancel()
        _ = await first.result

        let stored = try await SQLiteStore(path: database).stsPolicy(for: "localhost")
        #expect(stored?.port == network.stsTLSPort)
        let remaining = (stored?.expires.timeIntervalSinceNow ?? 0)
        #expect(remaining > 3000 && remaining <= 3600, "the server's duration (1h) from the TLS connection: \(remaining) s left")

        let secondLog = CapturedLog()
        let second = try start(secondLog)
        defer { second.cancel() }
        _ = try await eventually("the bot registered again", timeout: .seconds(30)) { secondLog.contains("registered") ? true : nil }
        let again = secondLog.snapshot.filter { $0.contains("connecting") && $0.contains("irc.port=") }
        #expect(again.count == 1 && again[0].contains("irc.port=\(network.stsTLSPort)"), "straight to TLS: \(again)")
        #expect(!secondLog.contains("connecting without TLS"), "no plaintext attempt while the policy holds")
        try await whoisSaysSecure()
    }

    @Test func aWrongPasswordIsAClearSASLFailure() async throws {
        let bot = RunningBot(network: network, channels: [], reply: "x", sasl: .plain(account: network.botAccount, password: Secret("not-the-password")))
        defer { Task { await bot.stop() } }
        _ = try await eventually("the SASL failure", timeout: .seconds(30)) {
            bot.log.contains("SASL authentication failed: the credentials were refused (904)") ? true : nil
        }
        #expect(!bot.log.contains("registered"))
        #expect(!bot.log.contains("not-the-password"))
    }

    @Test func saslExternalLogsInWithTheClientCertificate() async throws {
        let endpoint = IRCEndpoint(host: "localhost", port: network.tlsPort, tls: .init(
            verification: .caFile(network.caFile), clientCertificate: network.clientCertificate, clientKey: network.clientKey))
        let bot = RunningBot(network: network, channels: [], reply: "x", sasl: .external, endpoint: endpoint)
        defer { Task { await bot.stop() } }
        try await bot.waitUntilRegistered()
        #expect(bot.log.contains("irc.account=\(network.botAccount)"))
    }

    @Test func aCertificateNotSignedByATrustedCAIsRefused() async throws {
        // The test CA is not in the system store.
        let endpoint = IRCEndpoint(host: "localhost", port: network.tlsPort, tls: .init(verification: .system), connectTimeout: .seconds(5))
        await #expect(throws: IRCTransportError.self) { _ = try await SocketTransport.connect(to: endpoint) }
        do {
            _ = try await SocketTransport.connect(to: endpoint)
        } catch let error as IRCTransportError {
            guard case .certificate = error else { Issue.record("expected a certificate error, got \(error)"); return }
        }
        // The right CA but the wrong name.
        let wrongName = IRCEndpoint(host: "127.0.0.2", port: network.tlsPort, tls: .init(verification: .caFile(network.caFile)), connectTimeout: .seconds(5))
        await #expect(throws: IRCTransportError.self) { _ = try await SocketTransport.connect(to: wrongName) }
    }

    @Test func aPinnedFingerprintReplacesTheChainCheck() async throws {
        let pem = try String(contentsOfFile: network.caFile.replacingOccurrences(of: "ca.pem", with: "server.pem"), encoding: .utf8)
        let der = Data(base64Encoded: pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined())!
        let fingerprint = OpenSSLCrypto.sha256(Array(der)).map { String(format: "%02X", $0) }.joined(separator: ":")
        let pinned = IRCEndpoint(host: "127.0.0.1", port: network.tlsPort, tls: .init(verification: .pinnedSHA256(fingerprint)), connectTimeout: .seconds(5))
        let stream = try await SocketTransport.connect(to: pinned)
        stream.close()
        let wrong = IRCEndpoint(host: "127.0.0.1", port: network.tlsPort, tls: .init(verification: .pinnedSHA256(String(repeating: "ab", count: 32))), connectTimeout: .seconds(5))
        do {
            _ = try await SocketTransport.connect(to: wrong)
            Issue.record("a wrong pin was accepted")
        } catch let error as IRCTransportError {
            guard case .pinMismatch(_, let found) = error else { Issue.record("expected a pin mismatch, got \(error)"); return }
            #expect(found == fingerprint.lowercased().replacingOccurrences(of: ":", with: ""))
        }
    }

    @Test func answersAPersonWhoAddressesItAndComesBackAfterTheServerRestarts() async throws {
        let channel = TestNetwork.unique("#t")
        let bot = RunningBot(network: network, channels: [channel], reply: "Hello from Parley.")
        defer { Task { await bot.stop() } }
        try await bot.waitUntilRegistered()
        try await bot.waitUntilJoined(channel)
        var alice = try await HumanClient.connect(to: network, nick: TestNetwork.unique("al"), account: (network.humanAccount, network.humanPassword))
        try await alice.join(channel)
        alice.say("\(bot.nick): hello there", to: channel)
        _ = try await eventually("the bot's reply") { alice.lines(from: bot.nick, in: channel).first }
        #expect(alice.lines(from: bot.nick, in: channel).map(\.text) == ["\(alice.nick): Hello from Parley."])

        // The server dies and comes back: the bot reconnects, rejoins and answers, by itself.
        try network.restartServer()
        try await bot.waitUntilJoined(channel, count: 2, timeout: .seconds(60))
        alice = try await HumanClient.connect(to: network, nick: TestNetwork.unique("al"))
        try await alice.join(channel)
        alice.say("\(bot.nick): still there?", to: channel)
        _ = try await eventually("the bot's reply after the restart", timeout: .seconds(20)) { alice.lines(from: bot.nick, in: channel).first }
        alice.quit()
    }

    // Issue 13: a shipped plugin, as its own process, through the real IRC server: taught by a
    // command, recalled by `?KEY` in a line that does not address the bot.
    @Test func theFactoidsPluginAnswersOnIRC() async throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../plugins/factoids").standardized.path
        let host = PluginHost(
            configuration: try PluginCatalog.read(name: "factoids", directory: folder),
            logger: Logger(label: "parley.test", factory: { _ in SwiftLogNoOpLogHandler() }),
            store: StoredPluginValues(store: try SQLiteStore(path: ":memory:")))
        let plugin = Task { await host.runUntilCancelled() }
        defer { plugin.cancel() }
        try await host.waitUntilReady()
        let channel = TestNetwork.unique("#t")
        let bot = RunningBot(network: network, channels: [channel], reply: "model answer", plugins: [ProcessPlugin(host: host)])
        defer { Task { await bot.stop() } }
        try await bot.waitUntilJoined(channel)
        let alice = try await HumanClient.connect(to: network, nick: TestNetwork.unique("al"))
        try await alice.join(channel)
        alice.say("!fact add ircd inspircd, with atheme for services", to: channel)
        _ = try await eventually("the bot to learn the fact") { alice.lines(from: bot.nick, in: channel).first }
        alice.say("?ircd", to: channel)
        _ = try await eventually("the recalled fact") { alice.lines(from: bot.nick, in: channel).count >= 2 ? true : nil }
        #expect(alice.lines(from: bot.nick, in: channel).map(\.text) == [
            "\(alice.nick): OK, I'll remember ircd.", "\(alice.nick): ircd: inspircd, with atheme for services",
        ])
        alice.quit()
    }

    // Issue 17: a model's Markdown arrives through the real server as IRC formatting, byte for
    // byte: bold, italics and inline code as their control codes, a code block as its plain lines,
    // list items with bullets. (inspircd 3 offers no draft/multiline: the plain lines are what a
    // server without it gets; IRCConnectorTests shows the batch.)
    @Test func markdownArrivesAsTheExpectedIRCBytes() async throws {
        let channel = TestNetwork.unique("#t")
        let reply = "**Bold**, *italic* and `code`:\n```swift\nlet x = 1\n```\n- one\n- two"
        let bot = RunningBot(network: network, channels: [channel], reply: reply)
        defer { Task { await bot.stop() } }
        try await bot.waitUntilJoined(channel)
        let bob = try await HumanClient.connect(to: network, nick: TestNetwork.unique("bo"))
        try await bob.join(channel)
        bob.say("\(bot.nick): format something", to: channel)
        let isReply: (IRCMessage) -> Bool = { $0.command == "PRIVMSG" && $0.source?.nick == bot.nick && $0.parameters.first == channel }
        let wire = try await eventually("the whole reply") { () -> [[UInt8]]? in
            let lines = bob.wireLines(where: isReply)
            return lines.count >= 4 ? lines : nil
        }
        // Whatever tags and host the server puts in front, the rest of each line is exactly this.
        let expected = [
            "\(bob.nick): \u{02}Bold\u{02}, \u{1D}italic\u{1D} and \u{11}code\u{11}:", "let x = 1", "• one", "• two",
        ].map { Array(" PRIVMSG \(channel) :\($0)".utf8) }
        let received = wire.map { line in
            let command = Array(" PRIVMSG ".utf8)
            let start = (0...(line.count - command.count)).first { Array(line[$0..<$0 + command.count]) == command } ?? 0
            return Array(line[start...])
        }
        #expect(received == expected, "\(wire.map { String(decoding: $0, as: UTF8.self).debugDescription })")
        #expect(wire.allSatisfy { String(decoding: $0, as: UTF8.self).contains(":\(bot.nick)!") })
        bob.quit()
    }

    @Test func aLongReplyArrivesAsSeveralLinesPacedByFloodControl() async throws {
        let channel = TestNetwork.unique("#t")
        let sentence = "Parley splits long replies at word boundaries so that each line fits what the server relays, Ünïcödé included."
        let reply = Array(repeating: sentence, count: 12).joined(separator: " ")
        let interval = Duration.milliseconds(700)
        let bot = RunningBot(network: network, channels: [channel], reply: reply, flood: FloodControl(burst: 2, interval: interval))
        defer { Task { await bot.stop() } }
        try await bot.waitUntilRegistered()
        try await bot.waitUntilJoined(channel)
        let bob = try await HumanClient.connect(to: network, nick: TestNetwork.unique("bo"))
        try await bob.join(channel)
        bob.say("\(bot.nick): tell me everything", to: channel)
        let prefix = "\(bob.nick): "
        let lines = try await eventually("the whole reply", timeout: .seconds(40)) { () -> [(text: String, at: ContinuousClock.Instant)]? in
            let lines = bob.lines(from: bot.nick, in: channel)
            let text = lines.map(\.text).joined(separator: " ")
            return text.hasSuffix("included.") && text.count >= prefix.count + reply.count ? lines : nil
        }
        #expect(lines.count > 3)
        // Every line fit: the server relayed it whole (it would have cut an over-long one).
        let relayed = lines.map(\.text).joined(separator: " ")
        #expect(relayed == prefix + reply)
        for line in lines { #expect(line.text.utf8.count <= 512 - 2 - ":\(bot.nick)!x@y PRIVMSG \(channel) :".utf8.count) }
        // Two lines at once, then one per interval. Measured over the whole span, not line by
        // line: a reader starved of CPU (the other suites run meanwhile) reads two lines in one
        // go, which can close one gap; the span from the second line to the last shrinks only by
        // the second line's own delay, well inside the 20 % allowed.
        let span = lines[lines.count - 1].at - lines[1].at
        #expect(span >= interval * Double(lines.count - 2) * 0.8, "\(lines.count) lines over \(span)")
        bob.quit()
    }
}
