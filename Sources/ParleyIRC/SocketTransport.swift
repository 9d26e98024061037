import COpenSSL
import COpenSSLShims
import Foundation
import ParleyCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A byte stream to an IRC server, plain TCP or TLS over the system's OpenSSL, run by one thread
/// of its own: resolving, connecting, the handshake and every read and write block that thread
/// (polling a non-blocking socket), never the Swift cooperative pool. One thread also means one
/// user of the `SSL` object, which OpenSSL requires.
///
/// Bytes read arrive on `incoming`; `send` queues bytes and wakes the thread through a pipe;
/// `close` flushes what is queued, waits briefly for the server to close its side, shuts TLS
/// down and ends `incoming`.
///
/// `@unchecked Sendable`: `outgoing`, `closing` and `buffered` are guarded by `lock`, the waiters for
/// the end by `ended`; the socket, the pipe and
/// the `SSL` object are used only by the transport's thread (and freed by it); `incoming`'s
/// continuation is thread-safe.
final class SocketTransport: @unchecked Sendable {
    let incoming: AsyncThrowingStream<[UInt8], any Error>
    private let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation
    private let lock = Locked<(outgoing: [UInt8], closing: Bool, buffered: Int)>(([], false, 0))
    /// The most bytes read and not yet consumed; past it the thread stops reading the socket (the
    /// kernel's buffer then fills and TCP slows the server down).
    static let maxBuffered = 64 * 1024
    /// The most bytes ever buffered at once, for tests of the bound.
    private let highWater = Atomic<Int>(0)
    /// Set when the task that is connecting is cancelled: the connect or handshake stops at once.
    private let cancelled = Atomic<Bool>(false)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Whether the thread has shut the connection down, and who waits for it to.
    private let ended = Locked<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    private init(wakeRead: Int32, wakeWrite: Int32) {
        (incoming, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self, throwing: (any Error).self)
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
    }

    /// Connects (and handshakes) on a new thread; returns once the stream is ready. Cancelling
    /// the calling task stops a connect or handshake in progress at once (`.cancelled`), so
    /// shutdown never waits out a server that accepts TCP and never speaks TLS.
    static func connect(to endpoint: IRCEndpoint) async throws -> SocketTransport {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw IRCTransportError.io("pipe: \(String(cString: strerror(errno)))") }
        for end in pipeEnds { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        let transport = SocketTransport(wakeRead: pipeEnds[0], wakeWrite: pipeEnds[1])
        let interrupt = TCPConnection.Interrupt(fd: transport.wakeRead, isSet: { transport.cancelled.load(ordering: .acquiring) })
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { ready in
                let thread = Thread {
                    let stream: Stream
                    do {
                        stream = try Stream.open(endpoint, interrupt: interrupt)
                    } catch {
                        Glibc.close(transport.wakeRead)
                        Glibc.close(transport.wakeWrite)
                        ready.resume(throwing: error)
                        return
                    }
                    ready.resume(returning: transport)
                    transport.run(stream)
                }
                thread.name = "parley.irc.\(endpoint.host)"
                thread.start()
            }
        } onCancel: {
            transport.cancelled.store(true, ordering: .releasing)
            transport.wake()
        }
    }

    /// The consumer is done with `count` bytes of `incoming`: reading resumes if it had stopped.
    func consumed(_ count: Int) {
        let resume = lock.withLock { state -> Bool in
            let before = state.buffered
            state.buffered -= count
            return before >= Self.maxBuffered && state.buffered < Self.maxBuffered
        }
        if resume { wake() }
    }

    /// The most bytes that were ever read and not yet consumed.
    var bufferedHighWater: Int { highWater.load(ordering: .relaxed) }

    /// Queues bytes for the server.
    func send(_ bytes: [UInt8]) {
        lock.withLock { $0.outgoing += bytes }
        wake()
    }

    /// Flushes what is queued and waits for the server to close its side (together at most two
    /// seconds), then closes.
    func close() {
        lock.withLock { $0.closing = true }
        wake()
    }

    /// Returns once the thread has flushed and shut the connection down. Not cut short by
    /// cancellation: shutdown is what waits here, and the flush has its own deadline.
    func closed() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = ended.withLock { state -> Bool in
                if !state.done { state.waiters.append(waiter) }
                return state.done
            }
            if done { waiter.resume() }
        }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: - The transport's thread

    private func run(_ stream: Stream) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var closeDeadline: ContinuousClock.Instant?
        var failure: (any Error)?
        loop: while true {
            let (more, closing, buffered) = lock.withLock { state in
                defer { state.outgoing.removeAll(keepingCapacity: true) }
                return (state.outgoing, state.closing, state.buffered)
            }
            let mayRead = buffered < Self.maxBuffered
            pending += more
            if closing && closeDeadline == nil { closeDeadline = .now + .seconds(2) }
            var wantsWrite = false
            do {
                while !pending.isEmpty {
                    guard let written = try stream.write(pending) else {
                        wantsWrite = true
                        break
                    }
                    pending.removeFirst(written)
                }
                let roomBefore = Self.maxBuffered - buffered
                var room = roomBefore
                reading: while room > 0 {
                    switch try stream.read(into: &buffer, upTo: room) {
                    case .data(let count):
                        room -= count
                        let total = lock.withLock { state in
                            state.buffered += count
                            return state.buffered
                        }
                        highWater.max(total, ordering: .relaxed)
                        continuation.yield(Array(buffer[..<count]))
                    case .wouldBlock: break reading
                    case .end: break loop
                    }
                }
                if room < roomBefore { stream.acknowledgeAtOnce() }
            } catch {
                failure = error
                break loop
            }
            // Closing: once what was queued is written, wait (within the deadline) for the server
            // to end the connection. Closing at once can lose the last lines on the server's side:
            // inspircd, reading a QUIT and the TLS close together, reported "Connection closed"
            // instead of the bot's QUIT. After a QUIT the server answers ERROR and closes at once.
            if let deadline = closeDeadline, ContinuousClock.now >= deadline { break loop }
            var fds = [
                pollfd(
                    fd: stream.socket,
                    events: (mayRead ? Int16(POLLIN) : 0) | (wantsWrite || !pending.isEmpty ? Int16(POLLOUT) : 0), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&fds, 2, closeDeadline == nil ? -1 : 100)
            if fds[1].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
        }
        stream.shutdown()
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
        if let failure { continuation.finish(throwing: failure) } else { continuation.finish() }
        let waiters = ended.withLock { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

// MARK: - A connected socket, with or without TLS

extension SocketTransport {
    enum ReadResult { case data(Int), wouldBlock, end }

    /// The socket and, for TLS, its context and connection; owned by the transport's thread.
    final class Stream {
        let socket: Int32
        private let context: OpaquePointer?
        private let ssl: OpaquePointer?

        private init(socket: Int32, context: OpaquePointer?, ssl: OpaquePointer?) {
            self.socket = socket
            self.context = context
            self.ssl = ssl
        }

        static func open(_ endpoint: IRCEndpoint, interrupt: TCPConnection.Interrupt) throws -> Stream {
            let deadline = ContinuousClock.now + endpoint.connectTimeout
            let socket = try TCPConnection.connect(host: endpoint.host, port: endpoint.port, deadline: deadline, interrupt: interrupt)
            guard let tls = endpoint.tls else { return Stream(socket: socket, context: nil, ssl: nil) }
            do {
                let (context, ssl) = try TLSHandshake.perform(
                    on: socket, host: endpoint.host, settings: tls, deadline: deadline, port: endpoint.port, interrupt: interrupt)
                return Stream(socket: socket, context: context, ssl: ssl)
            } catch {
                Glibc.close(socket)
                throw error
            }
        }

        /// Bytes written, or nil when the socket cannot take any now.
        func write(_ bytes: [UInt8]) throws -> Int? {
            if let ssl {
                let result = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32(min($0.count, Int(Int32.max)))) }
                if result > 0 { return Int(result) }
                switch SSL_get_error(ssl, result) {
                case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return nil
                default: throw IRCTransportError.io("TLS write failed: \(TLSHandshake.lastError())")
                }
            }
            let result = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if result >= 0 { return result }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return nil }
            throw IRCTransportError.io(String(cString: strerror(errno)))
        }

        /// Reads at most `limit` bytes (and at most the buffer's size).
        func read(into buffer: inout [UInt8], upTo limit: Int) throws -> ReadResult {
            let size = min(limit, buffer.count)
            if let ssl {
                let result = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32(size)) }
                if result > 0 { return .data(Int(result)) }
                switch SSL_get_error(ssl, result) {
                case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wouldBlock
                case SSL_ERROR_ZERO_RETURN: return .end
                case SSL_ERROR_SYSCALL where errno == 0: return .end
                default: throw IRCTransportError.io("TLS read failed: \(TLSHandshake.lastError())")
                }
            }
            let result = buffer.withUnsafeMutableBytes { Glibc.recv(socket, $0.baseAddress, size, 0) }
            if result > 0 { return .data(result) }
            if result == 0 { return .end }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return .wouldBlock }
            throw IRCTransportError.io(String(cString: strerror(errno)))
        }

        /// Asks the kernel to acknowledge what was read now instead of within its delayed-ACK
        /// time (up to 40 ms on Linux), which it forgets after a while, hence after every read.
        /// A server that writes without TCP_NODELAY (inspircd does) holds its next small write
        /// until the last is acknowledged: a line the server sends right after another (a
        /// question after the echo of the bot's last answer) would otherwise wait those 40 ms.
        func acknowledgeAtOnce() {
            var one: Int32 = 1
            _ = setsockopt(socket, Int32(IPPROTO_TCP), Int32(TCP_QUICKACK), &one, socklen_t(MemoryLayout<Int32>.size))
        }

        func shutdown() {
            if let ssl {
                _ = SSL_shutdown(ssl)
                SSL_free(ssl)
            }
            if let context { SSL_CTX_free(context) }
            Glibc.close(socket)
        }
    }
}
