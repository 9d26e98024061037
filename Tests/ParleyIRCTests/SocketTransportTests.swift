import Foundation
import Logging
import ParleyCore
@testable import ParleyIRC
import ParleyTesting
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The socket transport against a listener on loopback that the test plays by hand: one that
/// accepts and never speaks, and one that writes faster than the reader reads.
@Suite struct SocketTransportTests {
    /// A TCP listener on 127.0.0.1 with an ephemeral port.
    final class Listener: Sendable {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            guard bound == 0, listen(fd, 4) == 0 else { throw IRCTransportError.io("listen: \(errno)") }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            self.port = Int(UInt16(bigEndian: address.sin_port))
        }

        /// The next connection, once one is there.
        func accepted() async throws -> Int32 {
            try await eventually("a connection") {
                var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, 0) > 0 else { return nil }
                let client = accept(fd, nil, nil)
                return client >= 0 ? client : nil
            }
        }

        /// Returns once the client's first bytes (its TLS ClientHello) have arrived on `server`.
        static func waitForClientHello(on server: Int32) async throws {
            _ = try await eventually("the ClientHello") {
                var descriptor = pollfd(fd: server, events: Int16(POLLIN), revents: 0)
                return poll(&descriptor, 1, 0) > 0 ? true : nil
            }
        }

        deinit { close(fd) }
    }

    // Issue 19, item 8: shutdown cancels a TLS handshake that the server never answers, instead
    // of waiting out the connect timeout.
    @Test func aStalledTLSHandshakeEndsWhenTheTaskIsCancelled() async throws {
        let listener = try Listener()
        let endpoint = IRCEndpoint(host: "127.0.0.1", port: listener.port, tls: .init(), connectTimeout: .seconds(120))
        let attempt = Task { try await SocketTransport.connect(to: endpoint) }
        let server = try await listener.accepted()
        defer { close(server) }
        // The ClientHello has arrived: the client now waits for an answer that never comes.
        try await Listener.waitForClientHello(on: server)
        attempt.cancel()
        do {
            _ = try await attempt.value
            Issue.record("the handshake succeeded against a silent server")
        } catch let error as IRCTransportError {
            #expect(error == .cancelled)
        }
    }

    @Test func theConnectorStopsAtOnceWhileAHandshakeStalls() async throws {
        let listener = try Listener()
        let configuration = IRCConnectorConfiguration(
            network: "net", endpoint: IRCEndpoint(host: "127.0.0.1", port: listener.port, tls: .init(), connectTimeout: .seconds(600)),
            session: IRCSessionConfiguration(nick: "parley"))
        let connector = IRCConnector(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let (_, continuation) = AsyncStream.makeStream(of: ConnectorEvent.self)
        let finished = Locked(false)
        let task = Task {
            try? await connector.run(events: ConnectorEvents(continuation))
            finished.withLock { $0 = true }
        }
        let server = try await listener.accepted()
        defer { close(server) }
        try await Listener.waitForClientHello(on: server)
        task.cancel()
        // Without cancellation reaching the handshake, this would take the 600 s connect timeout.
        _ = try await eventually("the connector to stop", timeout: .seconds(30)) { finished.withLock { $0 } ? true : nil }
    }

    @Test func aConnectInProgressEndsWhenTheTaskIsCancelled() async throws {
        // A cancelled task never starts the handshake either (TCP to a listener that accepts).
        let listener = try Listener()
        let endpoint = IRCEndpoint(host: "127.0.0.1", port: listener.port, tls: .init(), connectTimeout: .seconds(120))
        let attempt = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await SocketTransport.connect(to: endpoint)
        }
        await #expect(throws: IRCTransportError.cancelled) { _ = try await attempt.value }
    }

    // Issue 19, item 9: what the transport has read and the session has not consumed stays under
    // its bound, however fast the server writes.
    @Test func whatIsReadAndNotConsumedStaysBounded() async throws {
        let listener = try Listener()
        let endpoint = IRCEndpoint(host: "127.0.0.1", port: listener.port, tls: nil)
        let transport = try await SocketTransport.connect(to: endpoint)
        defer { transport.close() }
        let server = try await listener.accepted()
        let line = Array(("@" + String(repeating: "t=v;", count: 2000) + "x :s PRIVMSG #c :hello\r\n").utf8)
        let total = 2_000 * line.count  // ~16 MB
        let written = Atomic<Int>(0)
        let writer = Thread {
            for _ in 0..<2_000 {
                var offset = 0
                while offset < line.count {
                    let sent = line[offset...].withUnsafeBytes { Glibc.send(server, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    guard sent > 0 else { close(server); return }
                    offset += sent
                    written.add(sent, ordering: .relaxed)
                }
            }
            close(server)
        }
        writer.start()

        // Nothing consumed: the transport fills its buffer to the bound and stops reading.
        var chunks = transport.incoming.makeAsyncIterator()
        var held: [[UInt8]] = []
        var heldBytes = 0
        while heldBytes < SocketTransport.maxBuffered - 16 * 1024 {
            guard let chunk = try await chunks.next() else { break }
            held.append(chunk)
            heldBytes += chunk.count
        }
        #expect(transport.bufferedHighWater <= SocketTransport.maxBuffered)
        #expect(written.load(ordering: .relaxed) < total, "the server could write everything: nothing pushed back")

        // Consuming as it goes, the whole stream arrives and the bound holds throughout.
        var received = heldBytes
        transport.consumed(heldBytes)
        while let chunk = try await chunks.next() {
            received += chunk.count
            transport.consumed(chunk.count)
        }
        #expect(received == total)
        print("read \(received) bytes with at most \(transport.bufferedHighWater) buffered (bound \(SocketTransport.maxBuffered))")
        #expect(transport.bufferedHighWater <= SocketTransport.maxBuffered)
    }

    // What the bot queued before closing (a reply's last lines, its QUIT) is on the wire when
    // `closed()` returns: a daemon that exits then loses nothing (the SIGTERM drain test once saw
    // the process end while the transport's thread still held them).
    @Test func whatIsQueuedBeforeCloseIsWrittenWhenClosedReturns() async throws {
        let listener = try Listener()
        let endpoint = IRCEndpoint(host: "127.0.0.1", port: listener.port, tls: nil)
        let transport = try await SocketTransport.connect(to: endpoint)
        let server = try await listener.accepted()
        defer { close(server) }
        // Less than loopback's socket buffers hold: all of it can be written without a reader.
        let lines = (0..<500).map { "PRIVMSG #c :line \($0) " + String(repeating: "x", count: 60) + "\r\n" }
        for line in lines { transport.send(Array(line.utf8)) }
        transport.send(Array("QUIT :bye\r\n".utf8))
        transport.close()
        await transport.closed()

        // Read without waiting: everything, then the end, must already be there.
        _ = fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var ended = false
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(server, $0.baseAddress, $0.count, 0) }
            if count > 0 { received += buffer[..<count]; continue }
            ended = count == 0
            break
        }
        #expect(String(decoding: received, as: UTF8.self) == lines.joined() + "QUIT :bye\r\n")
        #expect(ended, "the connection was not closed when closed() returned")
    }

    // Closing waits for the server to end the connection: the server reads the QUIT before the
    // bot's side goes away (inspircd, reading a QUIT and the close together, once reported
    // "Connection closed" instead of the bot's QUIT), and its answer still arrives.
    @Test func closingReadsOnUntilTheServerEndsTheConnection() async throws {
        let listener = try Listener()
        let endpoint = IRCEndpoint(host: "127.0.0.1", port: listener.port, tls: nil)
        let transport = try await SocketTransport.connect(to: endpoint)
        let server = try await listener.accepted()
        transport.send(Array("QUIT :bye\r\n".utf8))
        transport.close()
        // The server answers the QUIT, as IRC servers do, and only then closes.
        var heard: [UInt8] = []
        let quit = try await eventually("the QUIT on the server's side") { () -> Bool? in
            var buffer = [UInt8](repeating: 0, count: 256)
            var descriptor = pollfd(fd: server, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 0) > 0 else { return nil }
            let count = buffer.withUnsafeMutableBytes { recv(server, $0.baseAddress, $0.count, 0) }
            if count > 0 { heard += buffer[..<count] }
            return String(decoding: heard, as: UTF8.self).hasSuffix("\r\n") ? true : nil
        }
        #expect(quit)
        let answer = Array("ERROR :Closing link\r\n".utf8)
        _ = answer.withUnsafeBytes { Glibc.send(server, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(server)
        var received: [UInt8] = []
        for try await chunk in transport.incoming { received += chunk }
        await transport.closed()
        #expect(String(decoding: heard, as: UTF8.self) == "QUIT :bye\r\n")
        #expect(String(decoding: received, as: UTF8.self) == "ERROR :Closing link\r\n", "the transport stopped reading at close")
    }
}
