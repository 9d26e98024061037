import Foundation
import ParleyCore
#if canImport(Glibc)
import Glibc
#endif

/// Opening a non-blocking TCP socket to a host, each resolved address in turn, within a deadline.
enum TCPConnection {
    /// A connected, non-blocking socket with TCP_NODELAY set (IRC lines are small and
    /// interactive; Nagle's delay would hold a reply back).
    static func connect(host: String, port: Int, deadline: ContinuousClock.Instant, interrupt: Interrupt) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw IRCTransportError.resolve(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var lastError = "no address"
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            next = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else {
                lastError = String(cString: strerror(errno))
                close(fd)
                continue
            }
            switch wait(fd, for: Int16(POLLOUT), until: deadline, interrupt: interrupt) {
            case .timedOut:
                close(fd)
                throw IRCTransportError.timeout(host: host, port: port, step: "connect")
            case .interrupted:
                close(fd)
                throw IRCTransportError.cancelled
            case .ready:
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                if error == 0 { return fd }
                lastError = String(cString: strerror(error))
                close(fd)
            }
        }
        throw IRCTransportError.connect(host: host, port: port, reason: lastError)
    }

    enum Readiness { case ready, timedOut, interrupted }

    /// A way to stop a wait from another thread: a pipe that becomes readable, and the flag that
    /// says the wake-up means "stop" (the same pipe also wakes the transport for writes later).
    struct Interrupt: Sendable {
        var fd: Int32
        var isSet: @Sendable () -> Bool
    }

    /// Waits until `fd` is ready for `events`, the deadline passes, or the interrupt is set.
    static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant, interrupt: Interrupt) -> Readiness {
        while true {
            if interrupt.isSet() { return .interrupted }
            let remaining = deadline - .now
            guard remaining > .zero else { return .timedOut }
            let milliseconds = Int32(clamping: remaining.inMilliseconds + 1)
            var descriptors = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: interrupt.fd, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, 2, milliseconds)
            if interrupt.isSet() { return .interrupted }
            if ready > 0 && descriptors[0].revents != 0 { return .ready }
            if ready < 0 && errno != EINTR { return .ready }  // let the caller's next call report the error
        }
    }
}
