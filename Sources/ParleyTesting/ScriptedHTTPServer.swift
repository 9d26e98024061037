public import Foundation
import ParleyCore
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers each request as the test scripts it: any
/// status, headers and body pieces with pauses, a stall, or a connection reset. For the faults a
/// real server does not produce on demand. A thread per connection; a connection closes after
/// its reply unless the reply keeps it alive.
public final class ScriptedHTTPServer: Sendable {
    public enum Reply: Sendable {
        /// Status line, headers, then body pieces, each after its pause; then the connection
        /// closes (`Connection: close`), or, with `keepAlive`, the body is sent with its length
        /// and the connection waits for the next request.
        case respond(status: Int, headers: [String: String] = [:], pieces: [(String, Duration)], keepAlive: Bool = false)
        /// Headers and the first pieces, then silence until the client gives up.
        case stall(status: Int, pieces: [String])
        /// Headers and the first pieces, then a TCP reset.
        case reset(pieces: [String])
    }

    public let port: Int
    private let listener: Int32
    private let script: Locked<[Reply]>
    private let received = Locked<[String]>([])
    private let hungUp = Locked(false)
    private let accepted = Locked(0)

    /// Each request's head and body, as received.
    public var requests: [String] { received.withLock { $0 } }
    /// Whether a client closed its connection before its reply was complete.
    public var clientHungUp: Bool { hungUp.withLock { $0 } }
    /// Connections accepted so far.
    public var connections: Int { accepted.withLock { $0 } }

    public init(_ replies: [Reply]) throws {
        script = Locked(replies)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 16)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// `http://127.0.0.1:PORT/v1`.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }

    /// Stops accepting. The accepting thread closes the listener itself: closed here, its
    /// descriptor could be handed to another test's server before that thread's next `accept`,
    /// which would then take that server's connections.
    public func stop() { shutdown(listener, Int32(SHUT_RDWR)) }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                close(listener)
                return
            }
            accepted.withLock { $0 += 1 }
            Thread { [self] in converse(client) }.start()
        }
    }

    /// Answers requests on one connection until a reply closes it or the client does.
    private func converse(_ client: Int32) {
        while let request = readRequest(client) {
            received.withLock { $0.append(request) }
            let reply = script.withLock { $0.isEmpty ? Reply.respond(status: 500, pieces: [("script exhausted", .zero)]) : $0.removeFirst() }
            if !answer(client, reply) { break }
        }
        close(client)
    }

    private func readRequest(_ fd: Int32) -> String? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return data.isEmpty ? nil : String(decoding: data, as: UTF8.self) }
            data += buffer[..<count]
            let text = String(decoding: data, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<end.upperBound].utf8.count >= length { return text }
            }
        }
    }
    private func write(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    private func head(_ status: Int, _ headers: [String: String], length: Int? = nil) -> String {
        var text = "HTTP/1.1 \(status) Scripted\r\n"
        text += length.map { "Content-Length: \($0)\r\n" } ?? "Connection: close\r\n"
        var all = ["Content-Type": "text/event-stream"]
        all.merge(headers) { $1 }
        for (name, value) in all { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    /// Sends the reply; true if the connection stays open for another request.
    private func answer(_ fd: Int32, _ reply: Reply) -> Bool {
        switch reply {
        case .respond(let status, let headers, let pieces, let keepAlive):
            _ = write(fd, head(status, headers, length: keepAlive ? pieces.map { $0.0.utf8.count }.reduce(0, +) : nil))
            for (piece, pause) in pieces {
                if pause > .zero { Thread.sleep(forTimeInterval: pause.inSeconds) }
                if !write(fd, piece) {
                    hungUp.withLock { $0 = true }
                    return false
                }
            }
            return keepAlive
        case .stall(let status, let pieces):
            _ = write(fd, head(status, [:]) + pieces.joined())
            var buffer = [UInt8](repeating: 0, count: 64)
            _ = recv(fd, &buffer, buffer.count, 0)  // until the client gives up
            return false
        case .reset(let pieces):
            _ = write(fd, head(200, [:]) + pieces.joined())
            Thread.sleep(forTimeInterval: 0.1)
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            return false
        }
    }
}

