import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP server on 127.0.0.1 that answers each request as the test scripts it: any status,
/// headers and body pieces with pauses, a stall, or a connection reset. For the faults a real
/// model server does not produce on demand. One thread; one request per connection.
final class FaultServer: Sendable {
    enum Reply: Sendable {
        /// Status line, headers, then body pieces, each after its pause; then the connection closes.
        case respond(status: Int, headers: [String: String] = [:], pieces: [(String, Duration)])
        /// Headers and the first pieces, then silence until the client gives up.
        case stall(status: Int, pieces: [String])
        /// Headers and the first pieces, then a TCP reset.
        case reset(pieces: [String])
    }

    let port: Int
    private let listener: Int32
    private let script: Mutex<[Reply]>
    /// Each request's head and body, as received.
    let requests = Mutex<[String]>([])
    /// Set when a client closed its connection before the reply was complete.
    let clientHungUp = Mutex(false)

    init(_ replies: [Reply]) throws {
        script = Mutex(replies)
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

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let request = readRequest(client)
            requests.withLock { $0.append(request) }
            let reply = script.withLock { $0.isEmpty ? Reply.respond(status: 500, pieces: [("script exhausted", .zero)]) : $0.removeFirst() }
            answer(client, reply)
        }
    }

    private func readRequest(_ fd: Int32) -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data += buffer[..<count]
            let text = String(decoding: data, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<end.upperBound].utf8.count >= length { return text }
            }
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func write(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    private func head(_ status: Int, _ headers: [String: String]) -> String {
        var text = "HTTP/1.1 \(status) Scripted\r\nConnection: close\r\n"
        var all = ["Content-Type": "text/event-stream"]
        all.merge(headers) { $1 }
        for (name, value) in all { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    private func answer(_ fd: Int32, _ reply: Reply) {
        switch reply {
        case .respond(let status, let headers, let pieces):
            _ = write(fd, head(status, headers))
            for (piece, pause) in pieces {
                if pause > .zero { Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18) }
                if !write(fd, piece) {
                    clientHungUp.withLock { $0 = true }
                    break
                }
            }
            close(fd)
        case .stall(let status, let pieces):
            _ = write(fd, head(status, [:]) + pieces.joined())
            var buffer = [UInt8](repeating: 0, count: 64)
            _ = recv(fd, &buffer, buffer.count, 0)  // until the client gives up
            close(fd)
        case .reset(let pieces):
            _ = write(fd, head(200, [:]) + pieces.joined())
            Thread.sleep(forTimeInterval: 0.1)
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(fd)
        }
    }
}

/// SSE pieces of a streamed chat completion.
enum SSE {
    static func delta(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        return "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(escaped)\"},\"finish_reason\":null}]}\n\n"
    }
    static let stop = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
}
