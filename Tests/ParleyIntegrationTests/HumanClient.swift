import Foundation
@testable import ParleyIRC
import ParleyCore
import ParleyTesting

/// A person on the test network, written with Parley's own codec over a verified TLS
/// connection: registers (with SASL PLAIN when given an account), joins, talks, and records
/// every line it receives with the time it arrived.
final class HumanClient: Sendable {
    let nick: String
    private let stream: SocketTransport
    /// Everything received, with arrival times; shared with the reading task.
    private final class Inbox: Sendable {
        let lines = Locked<[(message: IRCMessage, at: ContinuousClock.Instant, bytes: [UInt8])]>([])
    }
    private let received = Inbox()
    private let reader: Task<Void, Never>

    private init(nick: String, stream: SocketTransport) {
        self.nick = nick
        self.stream = stream
        let received = self.received
        reader = Task {
            var framer = IRCLineFramer()
            do {
                for try await chunk in stream.incoming {
                    for line in framer.append(chunk) {
                        guard let message = try? IRCMessage(parsing: IRCText.decode(line)) else { continue }
                        if message.command == "PING" {
                            stream.send(Array((try! IRCMessage("PONG", message.parameters).serialized() + "\r\n").utf8))
                        }
                        received.lines.withLock { $0.append((message, .now, line)) }
                    }
                }
            } catch {}
        }
    }

    deinit { reader.cancel() }

    /// Connects and registers, retrying the connection for a while (the server may be restarting).
    static func connect(to network: TestNetwork, nick: String, account: (String, String)? = nil) async throws -> HumanClient {
        var stream: SocketTransport?
        let deadline = ContinuousClock.now + .seconds(30)
        while stream == nil {
            do {
                stream = try await SocketTransport.connect(to: network.verifiedEndpoint)
            } catch {
                if ContinuousClock.now > deadline { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let client = HumanClient(nick: nick, stream: stream!)
        if let (name, password) = account {
            client.send("CAP", "REQ", "sasl")
            client.send("NICK", nick)
            client.send("USER", nick, "0", "*", "Test human")
            _ = try await client.waitFor("CAP ACK") { $0.command == "CAP" && $0.parameters.contains("ACK") }
            client.send("AUTHENTICATE", "PLAIN")
            _ = try await client.waitFor("AUTHENTICATE +") { $0.command == "AUTHENTICATE" }
            let payload = Data(Array(name.utf8) + [0] + Array(name.utf8) + [0] + Array(password.utf8)).base64EncodedString()
            client.send("AUTHENTICATE", payload)
            _ = try await client.waitFor("SASL success") { $0.command == "903" }
            client.send("CAP", "END")
        } else {
            client.send("NICK", nick)
            client.send("USER", nick, "0", "*", "Test human")
        }
        _ = try await client.waitFor("welcome") { $0.command == "001" }
        return client
    }

    func send(_ command: String, _ parameters: String...) {
        stream.send(Array((try! IRCMessage(command, parameters).serialized() + "\r\n").utf8))
    }

    func join(_ channel: String) async throws {
        send("JOIN", channel)
        _ = try await waitFor("joined \(channel)") { $0.command == "366" && $0.parameters.count > 1 && $0.parameters[1] == channel }
    }

    func say(_ text: String, to target: String) {
        send("PRIVMSG", target, text)
    }

    /// Every message received so far that matches, with its arrival time.
    func messages(where predicate: (IRCMessage) -> Bool) -> [(message: IRCMessage, at: ContinuousClock.Instant)] {
        received.lines.withLock { $0.filter { predicate($0.message) }.map { ($0.message, $0.at) } }
    }

    /// The bytes of every line received so far that matches, as the server sent them (less CR-LF).
    func wireLines(where predicate: (IRCMessage) -> Bool) -> [[UInt8]] {
        received.lines.withLock { $0.filter { predicate($0.message) }.map(\.bytes) }
    }

    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(20), _ predicate: @escaping (IRCMessage) -> Bool) async throws -> IRCMessage {
        try await eventually(what, timeout: timeout) { self.messages(where: predicate).first?.message }
    }

    /// Lines `from` sent to `target` (a channel) so far.
    func lines(from nick: String, in target: String) -> [(text: String, at: ContinuousClock.Instant)] {
        messages { ($0.command == "PRIVMSG" || $0.command == "NOTICE") && $0.source?.nick == nick && $0.parameters.first == target }
            .map { ($0.message.parameters.last ?? "", $0.at) }
    }

    func quit() {
        send("QUIT", "bye")
        stream.close()
    }
}
