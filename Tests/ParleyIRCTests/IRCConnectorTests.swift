import Foundation
import Logging
import ParleyCore
@testable import ParleyIRC
import ParleyTesting
import Testing

/// The connector over an in-memory server: what reaches the wire for what the bot says.
@Suite struct IRCConnectorTests {
    /// A server that the test plays by hand: lines it writes go to the client, lines the client
    /// writes are recorded.
    final class MemoryServer: IRCByteStream {
        let incoming: AsyncThrowingStream<[UInt8], any Error>
        private let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation
        let written = Locked<[String]>([])

        init() {
            (incoming, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self, throwing: (any Error).self)
        }

        func send(_ bytes: [UInt8]) {
            let text = String(decoding: bytes, as: UTF8.self)
            written.withLock { $0 += text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init) }
        }

        func close() { continuation.finish() }

        /// Bytes the session has finished with.
        let consumedBytes = Locked(0)
        func consumed(_ count: Int) { consumedBytes.withLock { $0 += count } }

        func say(_ line: String) { continuation.yield(Array((line + "\r\n").utf8)) }

        var lines: [String] { written.withLock { $0 } }
    }

    struct Harness {
        let server = MemoryServer()
        let connector: IRCConnector
        let events: AsyncStream<ConnectorEvent>
        let task: Task<Void, any Error>

        init(
            maxLines: Int? = 3, flood: FloodControl = FloodControl(burst: 1000, interval: .milliseconds(1)), capabilities: String = ""
        ) async throws {
            let server = self.server
            let configuration = IRCConnectorConfiguration(
                network: "net", endpoint: IRCEndpoint(host: "irc.test", port: 6697),
                session: IRCSessionConfiguration(nick: "parley", channels: [.init("#c")]),
                flood: flood, maxLinesPerReply: maxLines)
            let connector = IRCConnector(
                configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
                open: { _ in server })
            self.connector = connector
            let (events, continuation) = AsyncStream.makeStream(of: ConnectorEvent.self)
            self.events = events
            task = Task { try await connector.run(events: ConnectorEvents(continuation)) }
            _ = try await eventually("registration") { server.lines.contains("USER parley 0 * :Parley chat bot") ? true : nil }
            server.say(":irc.test CAP * LS :\(capabilities)")
            if !capabilities.isEmpty {
                _ = try await eventually("the request") { server.lines.contains { $0.hasPrefix("CAP REQ ") } ? true : nil }
                let names = capabilities.split(separator: " ").map { $0.prefix { $0 != "=" } }
                server.say(":irc.test CAP parley ACK :\(names.joined(separator: " "))")
            }
            server.say(":irc.test 001 parley :Welcome")
            server.say(":irc.test 005 parley CASEMAPPING=rfc1459 :are supported")
            server.say(":irc.test 376 parley :End of MOTD")
            server.say(":parley!bot@bot.example JOIN #c")
            _ = try await eventually("the join") { server.lines.contains("JOIN #c") ? true : nil }
        }

        /// Sends a reply and returns the lines it put on the wire.
        func reply(_ text: String, to id: String = "m1") async throws -> [String] {
            let before = server.lines.count
            try await connector.send(OutboundMessage(
                channel: ChannelKey(network: "net", channel: "#c"), text: text, replyTo: MessageID(id),
                recipient: Sender(id: "alice", displayName: "alice")))
            await connector.drain()  // every paced line written
            return Array(server.lines[before...])
        }
    }

    @Test func aReplyCannotInjectACommand() async throws {
        let harness = try await Harness()
        defer { harness.task.cancel() }
        let lines = try await harness.reply("sure\r\nQUIT :x\r\nJOIN #evil\nMODE #c +o mallory\u{0}KICK #c op")
        #expect(!lines.isEmpty)
        for line in lines {
            let message = try IRCMessage(parsing: line)
            #expect(message.command == "PRIVMSG" && message.parameters.first == "#c", "\(line)")
        }
    }

    @Test func longRepliesFitTheLineTheServerRelaysAndTheRestWaitsForMore() async throws {
        let harness = try await Harness(maxLines: 3)
        defer { harness.task.cancel() }
        let words = (1...400).map { "wörd\($0)" }.joined(separator: " ")
        let lines = try await harness.reply(words)
        // The server will relay each as ":parley!bot@bot.example PRIVMSG #c :<text>".
        let prefix = ":parley!bot@bot.example PRIVMSG #c :"
        for line in lines { #expect(prefix.utf8.count + (try IRCMessage(parsing: line).parameters[1]).utf8.count + 2 <= 512) }
        #expect(lines.count == 4)
        #expect(lines.last == "PRIVMSG #c :(more: say \"parley: more\")")
        #expect(try IRCMessage(parsing: lines[0]).parameters[1].hasPrefix("alice: wörd1 wörd2"))

        // "more" is answered by the connector, not the bot.
        let before = harness.server.lines.count
        harness.server.say(":alice!a@h PRIVMSG #c :parley: more")
        _ = try await eventually("the next lines") { harness.server.lines.count >= before + 4 ? true : nil }
        let next = harness.server.lines[before...].map { try! IRCMessage(parsing: $0).parameters[1] }
        let shown = (lines.dropLast().map { try! IRCMessage(parsing: $0).parameters[1] } + next.dropLast()).joined(separator: " ")
        #expect(shown.hasPrefix("alice: " + words.prefix(40)))
        #expect(words.hasPrefix(shown.dropFirst("alice: ".count)))
    }

    @Test func noticesAreNeverAnsweredAndPrivateMessagesAreDirect() async throws {
        let harness = try await Harness()
        defer { harness.task.cancel() }
        harness.server.say(":bob!b@h NOTICE #c :parley: hello?")
        harness.server.say(":bob!b@h PRIVMSG parley :hi there")
        harness.server.say(":carol!c@h PRIVMSG #c :Parley, what time is it?")
        var received: [InboundMessage] = []
        for await event in harness.events {
            if case .message(let message) = event { received.append(message) }
            if received.count == 2 { break }
        }
        #expect(received[0].isDirect && received[0].channel.channel == "bob" && received[0].text == "hi there")
        #expect(received[1].channel.channel == "#c" && received[1].addressing == .addressed(body: "what time is it?"))
    }

    @Test func aLostConnectionIsRetriedWithGrowingJitteredDelays() {
        for failures in 1...12 {
            let delay = IRCConnector.backoff(after: failures, base: .seconds(2), cap: .seconds(300), ban: false)
            let ceiling = min(Duration.seconds(300), .seconds(2) * (1 << (failures - 1)))
            #expect(delay <= ceiling && delay >= ceiling / 2)
        }
        #expect(IRCConnector.backoff(after: 1, base: .seconds(2), cap: .seconds(300), ban: true) == .seconds(300))
    }

    /// STS policies in memory.
    final class MemoryPolicies: STSPolicyStore {
        let policies = Locked<[String: STSPolicy]>([:])
        func policy(for host: String) async throws -> STSPolicy? { policies.withLock { $0[host] } }
        func save(_ policy: STSPolicy, for host: String) async throws { policies.withLock { $0[host] = policy } }
        func removePolicy(for host: String) async throws { policies.withLock { $0[host] = nil } }
    }

    /// Connectors to a plaintext network that share one STS store and one wall clock, each
    /// connection an in-memory server, recorded with the endpoint it was opened for.
    final class STSWorld: Sendable {
        let policies = MemoryPolicies()
        let opened = Locked<[IRCEndpoint]>([])
        let servers = Locked<[MemoryServer]>([])
        let wallClock = Locked(Date(timeIntervalSince1970: 2_000_000_000))
        let configuration: IRCConnectorConfiguration

        init(stsTLS: IRCEndpoint.TLSSettings = .init(), reconnectDelay: Duration) {
            configuration = IRCConnectorConfiguration(
                network: "net", endpoint: IRCEndpoint(host: "irc.test", port: 6667, tls: nil),
                session: IRCSessionConfiguration(nick: "parley"), stsTLS: stsTLS, reconnectDelay: reconnectDelay)
        }

        func connector() -> IRCConnector {
            IRCConnector(
                configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
                stsStore: policies, now: { [self] in wallClock.withLock { $0 } },
                open: { [self] endpoint in
                    let server = MemoryServer()
                    opened.withLock { $0.append(endpoint) }
                    servers.withLock { $0.append(server) }
                    return server
                })
        }

        /// Runs a new connector (a new process, as far as STS is concerned).
        func start() -> Task<Void, any Error> {
            let connector = connector()
            let (_, continuation) = AsyncStream.makeStream(of: ConnectorEvent.self)
            return Task { try await connector.run(events: ConnectorEvents(continuation)) }
        }

        /// The plaintext connection is told `sts=port=6697,duration=…`; returns the server of
        /// the TLS connection that follows.
        func upgrade(duration: Int) async throws -> MemoryServer {
            _ = try await eventually("the plaintext connection") { servers.withLock { $0.first } }
                .say(":irc.test CAP * LS :sts=port=6697,duration=\(duration)")
            return try await eventually("the TLS connection") { servers.withLock { $0.count == 2 ? $0[1] : nil } }
        }
    }

    @Test func stsUpgradesAPlaintextConnectionAndTheStoredPolicyHoldsForTheNextStart() async throws {
        let world = STSWorld(reconnectDelay: .milliseconds(10))
        let start = world.wallClock.withLock { $0 }
        let task = world.start()
        defer { task.cancel() }
        let secure = try await world.upgrade(duration: 600)
        #expect(world.opened.withLock { $0[1] } == IRCEndpoint(host: "irc.test", port: 6697, tls: .init(verification: .system)))
        secure.say(":irc.test CAP * LS :sts=port=6697,duration=600")
        let stored = try await eventually("the stored policy") { try await world.policies.policy(for: "irc.test") }
        #expect(stored.port == 6697 && stored.expires == start.addingTimeInterval(600))
        task.cancel()

        // A new process with the same store never tries plaintext.
        let again = world.start()
        defer { again.cancel() }
        _ = try await eventually("the next start's connection") { world.opened.withLock { $0.count >= 3 ? true : nil } }
        #expect(world.opened.withLock { $0[2] }.tls != nil && world.opened.withLock { $0[2] }.port == 6697)
    }

    // Issue 19, item 5: the policy's expiry is rescheduled when the connection closes, and an
    // upgraded connection is verified with the network's own TLS settings.
    @Test func theSTSExpiryIsRescheduledOnDisconnectAndTheUpgradeUsesTheNetworksTLSSettings() async throws {
        let privateCA = IRCEndpoint.TLSSettings(verification: .caFile("/etc/parley/private-ca.pem"))
        let world = STSWorld(stsTLS: privateCA, reconnectDelay: .seconds(3600))
        let start = world.wallClock.withLock { $0 }
        let task = world.start()
        defer { task.cancel() }
        let secure = try await world.upgrade(duration: 10)
        #expect(world.opened.withLock { $0[1] } == IRCEndpoint(host: "irc.test", port: 6697, tls: privateCA))
        secure.say(":irc.test CAP * LS :sts=duration=10")
        let stored = try await eventually("the stored policy") { try await world.policies.policy(for: "irc.test") }
        #expect(stored.expires == start.addingTimeInterval(10))

        // Connected for 15 s, then the server goes away: the policy now runs to then + 10 s.
        world.wallClock.withLock { $0 = start.addingTimeInterval(15) }
        secure.close()
        _ = try await eventually("the rescheduled policy") {
            try await world.policies.policy(for: "irc.test")?.expires == start.addingTimeInterval(25) ? true : nil
        }
        task.cancel()

        // Restarted 5 s later: TLS, with the network's CA, never the plaintext port.
        world.wallClock.withLock { $0 = start.addingTimeInterval(20) }
        let again = world.start()
        defer { again.cancel() }
        let next = try await eventually("the restart's connection") { world.opened.withLock { $0.count >= 3 ? $0[2] : nil } }
        #expect(next == IRCEndpoint(host: "irc.test", port: 6697, tls: privateCA))
    }

    // Issue 17: on a server without msgids the ids Parley makes up stay distinct across a
    // reconnect. Numbered per connection, the first message after a reconnect once took the id
    // of the first before it, and the core dropped it as a duplicate.
    @Test func madeUpMessageIDsStayDistinctAcrossAReconnect() async throws {
        let world = STSWorld(reconnectDelay: .milliseconds(10))
        let connector = world.connector()
        let (events, continuation) = AsyncStream.makeStream(of: ConnectorEvent.self)
        let task = Task { try await connector.run(events: ConnectorEvents(continuation)) }
        defer { task.cancel() }
        var iterator = events.makeAsyncIterator()
        var ids: [MessageID] = []
        for connection in 0..<2 {
            let server = try await eventually("connection \(connection + 1)") {
                world.servers.withLock { $0.count > connection ? $0[connection] : nil }
            }
            for line in [":irc.test CAP * LS :", ":irc.test 001 parley :Welcome", ":irc.test 376 parley :End of MOTD",
                         ":alice!a@h PRIVMSG parley :hello"] {
                server.say(line)
            }
            while let event = await iterator.next() {
                if case .message(let message) = event {
                    ids.append(message.id)
                    break
                }
            }
            server.close()
        }
        #expect(ids.count == 2 && ids[0] != ids[1], "\(ids)")
    }

    // Issue 19, item 7: after LINELEN=2048, replies are split to the larger lines and every line
    // of them reaches the wire.
    @Test func repliesUseTheAdvertisedLineLengthAndNoneIsLost() async throws {
        let harness = try await Harness(maxLines: nil)
        defer { harness.task.cancel() }
        harness.server.say(":irc.test 005 parley LINELEN=2048 :are supported")
        harness.server.say(":irc.test PING :sync")
        _ = try await eventually("the 005 to be read") { harness.server.lines.contains("PONG sync") ? true : nil }
        let words = (1...600).map { "word\($0)" }.joined(separator: " ")
        let before = harness.server.lines.count
        try await harness.connector.send(OutboundMessage(
            channel: ChannelKey(network: "net", channel: "#c"), text: words, replyTo: MessageID("m1"),
            recipient: Sender(id: "alice", displayName: "alice")))
        let lines = try await eventually("the whole reply") {
            let lines = Array(harness.server.lines[before...])
            let bodies = lines.map { (try? IRCMessage(parsing: $0))?.parameters.last ?? "" }
            return bodies.joined(separator: " ") == "alice: " + words ? lines : nil
        }
        #expect(lines.contains { $0.utf8.count > 512 })
        #expect(lines.allSatisfy { $0.utf8.count + 2 <= 2048 })
    }

    // Issue 19, item 9: while the bot is behind, the session stops consuming what the server
    // sends (so the transport stops reading); it reads on as the bot catches up.
    @Test func theSessionReadsNoFurtherWhileTheBotIsBehind() async throws {
        let server = MemoryServer()
        let configuration = IRCConnectorConfiguration(
            network: "net", endpoint: IRCEndpoint(host: "irc.test", port: 6697),
            session: IRCSessionConfiguration(nick: "parley", channels: [.init("#c")]))
        let connector = IRCConnector(
            configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
            open: { _ in server })
        let (events, continuation) = AsyncStream.makeStream(of: ConnectorEvent.self)
        let backlog = EventBacklog(limit: 4)
        let task = Task { try await connector.run(events: ConnectorEvents(continuation, backlog: backlog)) }
        defer { task.cancel() }
        _ = try await eventually("registration") { server.lines.contains("USER parley 0 * :Parley chat bot") ? true : nil }
        for line in [":irc.test CAP * LS :", ":irc.test 001 parley :Welcome", ":irc.test 376 parley :End"] { server.say(line) }
        _ = try await eventually("the join") { server.lines.contains("JOIN #c") ? true : nil }
        let registered = server.consumedBytes.withLock { $0 }
        let line = ":alice!a@h PRIVMSG #c :just chatting"
        for _ in 0..<100 { server.say(line) }
        _ = try await eventually("the backlog to fill") { backlog.count == 4 ? true : nil }
        // The session has emitted four and waits with the fifth chunk unconsumed.
        let consumedWhileBehind = server.consumedBytes.withLock { $0 } - registered
        #expect(consumedWhileBehind <= 4 * (line.utf8.count + 2), "\(consumedWhileBehind) bytes consumed while the bot took nothing")

        var received = 0
        for await event in events {
            backlog.taken()
            if case .message = event { received += 1 }
            if received == 100 { break }
        }
        // Read on to the end once the bot caught up.
        _ = try await eventually("all of it consumed") {
            server.consumedBytes.withLock { $0 } - registered == 100 * (line.utf8.count + 2) ? true : nil
        }
    }

    // Issue 19, item 6: a flood of CTCP requests never delays the answer to someone else.
    @Test func ctcpFloodsDoNotDelayRepliesToOthers() async throws {
        let harness = try await Harness(maxLines: nil, flood: FloodControl(burst: 4, interval: .seconds(10)))
        defer { harness.task.cancel() }
        for _ in 0..<60 { harness.server.say(":bob!b@h PRIVMSG parley :\u{01}VERSION\u{01}") }
        for index in 0..<60 { harness.server.say(":nick\(index)!n@h PRIVMSG parley :\u{01}VERSION\u{01}") }
        harness.server.say(":irc.test PING :sync")
        _ = try await eventually("the flood to be read") { harness.server.lines.contains("PONG sync") ? true : nil }
        try await harness.connector.send(OutboundMessage(
            channel: ChannelKey(network: "net", channel: "#c"), text: "the answer", replyTo: MessageID("m1"),
            recipient: Sender(id: "alice", displayName: "alice")))
        _ = try await eventually("the reply to alice") { harness.server.lines.contains("PRIVMSG #c :alice: the answer") ? true : nil }
        let answers = harness.server.lines.filter { $0.hasPrefix("NOTICE") && $0.contains("VERSION") }
        #expect(answers.count <= 1, "\(answers.count) CTCP answers went out in a burst of 4 with a reply waiting")
    }
}

extension IRCConnectorTests {
    // Issue 17: where the server relays client tags, an answer names the message it answers
    // (`+draft/reply`); a made-up id (a server without msgids) is never sent as one.
    @Test func answersAreTaggedWithTheMessageTheyAnswer() async throws {
        let connected = try await Harness(capabilities: "message-tags")
        connected.server.say("@msgid=Xy12z :alice!a@h PRIVMSG #c :parley: hi")
        var events = connected.events.makeAsyncIterator()
        while let event = await events.next() {
            if case .message(let message) = event {
                #expect(message.id == "Xy12z")
                break
            }
        }
        #expect(try await connected.reply("hello", to: "Xy12z") == ["@+draft/reply=Xy12z PRIVMSG #c :alice: hello"])
        #expect(try await connected.reply("again", to: "irc-net-7") == ["PRIVMSG #c :alice: again"])
        connected.task.cancel()
    }

    // Issue 17: where the server offers draft/multiline, a reply of several lines is one message:
    // a batch opened with the reply tag, within the server's max-lines (a line left over goes plain).
    @Test func aReplyOfSeveralLinesIsOneMultilineBatchWhereTheServerTakesThem() async throws {
        let connected = try await Harness(maxLines: nil, capabilities: "batch message-tags draft/multiline=max-bytes=4096,max-lines=3")
        connected.server.say("@msgid=Q1 :alice!a@h PRIVMSG #c :parley: show me")
        var events = connected.events.makeAsyncIterator()
        while let event = await events.next() {
            if case .message = event { break }
        }
        let wire = try await connected.reply("**Bold**, *it* and `code`:\n```\nlet x = 1\n```\n- one\n- two", to: "Q1")
        #expect(wire == [
            "@+draft/reply=Q1 BATCH +parley1 draft/multiline #c",
            "@batch=parley1 PRIVMSG #c :alice: \u{02}Bold\u{02}, \u{1D}it\u{1D} and \u{11}code\u{11}:",
            "@batch=parley1 PRIVMSG #c :let x = 1",
            "@batch=parley1 PRIVMSG #c :• one",
            "BATCH -parley1",
            "@+draft/reply=Q1 PRIVMSG #c :• two",
        ])
        #expect(try await connected.reply("one line", to: "Q1") == ["@+draft/reply=Q1 PRIVMSG #c :one line"])
        connected.task.cancel()
    }

    // Issue 17: a code block streamed over several lines loses its fences, keeps its lines, and
    // emphasis outside it becomes IRC bold.
    @Test func markdownIsRenderedAcrossTheLinesOfOneReply() async throws {
        let connected = try await Harness(maxLines: nil)
        var wire: [String] = []
        for line in ["Try **this**:", "```", "let **x** = 1", "```", "done"] {
            wire += try await connected.reply(line, to: "q1")
        }
        #expect(wire == ["PRIVMSG #c :alice: Try \u{02}this\u{02}:", "PRIVMSG #c :let **x** = 1", "PRIVMSG #c done"])
        connected.task.cancel()
    }
}
