import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ParleyCore

/// One running plugin program: its stdin, stdout and stderr on pipes, read by threads of their
/// own (never the cooperative pool), so a plugin that stops reading or writes without end costs
/// a blocked thread of its own and nothing else.
///
/// Started by `ProcessLauncher` in the plugin's folder, in a process group of its own.
final class PluginProcess: Sendable {
    enum Event: Sendable, Equatable {
        case line([UInt8])
        case overlong
        case exited(status: Int32)
    }

    let pid: pid_t
    private let input: Int32
    /// Lines from stdout, then the exit.
    let events: AsyncStream<Event>
    private let writes = DispatchQueue(label: "parley.plugin.stdin")
    /// Bytes handed to the writer and not yet written: a plugin that never reads its input lets
    /// this grow until `write` refuses.
    private let queued = Locked(0)
    private let maxQueuedBytes: Int
    private let closed = Locked(false)
    private let exit = Exit()

    /// The exit status, set once the program has ended and been reaped (its pid may then belong
    /// to another), and those waiting for it.
    private final class Exit: Sendable {
        let status = Locked<Int32?>(nil)
        let waiters = WaitList()
    }

    struct LaunchFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `arguments` in `directory`; stderr lines go to `diagnostics`.
    init(
        _ arguments: [String], directory: String, environment: [String: String], maxLineBytes: Int,
        maxQueuedBytes: Int = 4 << 20, diagnostics: @escaping @Sendable (String) -> Void
    ) throws {
        guard !arguments.isEmpty else { throw LaunchFailed(description: "no program to run") }
        // Socket pairs, not pipes: created close-on-exec in one step (another plugin starting
        // on another thread must not inherit them), and writing to a plugin that has gone fails
        // with EPIPE (MSG_NOSIGNAL) instead of raising SIGPIPE in Parley. Index 0 is Parley's end.
        func channel() throws -> [Int32] {
            var ends: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
                throw LaunchFailed(description: "socketpair: \(String(cString: strerror(errno)))")
            }
            return ends
        }
        let stdinPipe = try channel()
        let stdoutPipe: [Int32], stderrPipe: [Int32]
        do {
            stdoutPipe = try channel()
            do { stderrPipe = try channel() } catch {
                for fd in stdinPipe + stdoutPipe { close(fd) }
                throw error
            }
        } catch {
            for fd in stdinPipe { close(fd) }
            throw error
        }

        // The shell changes into the folder and replaces itself with the program; the folder and
        // the arguments are positional parameters, never part of the script.
        let spawned = Result {
            try ProcessLauncher.spawn(
                ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + arguments, environment: environment,
                redirections: [.descriptor(stdinPipe[1], as: 0), .descriptor(stdoutPipe[1], as: 1), .descriptor(stderrPipe[1], as: 2)],
                ownProcessGroup: true)
        }
        close(stdinPipe[1]); close(stdoutPipe[1]); close(stderrPipe[1])
        let pid: pid_t
        switch spawned {
        case .success(let started): pid = started
        case .failure(let error):
            close(stdinPipe[0]); close(stdoutPipe[0]); close(stderrPipe[0])
            throw LaunchFailed(description: "\(error)")
        }
        self.pid = pid
        input = stdinPipe[0]
        self.maxQueuedBytes = maxQueuedBytes
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        self.events = events

        let output = stdoutPipe[0], errors = stderrPipe[0]
        let exit = self.exit
        Thread.detachNewThread {
            var framer = PluginLineFramer(maxLineBytes: maxLineBytes)
            var buffer = [UInt8](repeating: 0, count: 65_536)
            reading: while true {
                let count = read(output, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                for item in framer.append(buffer[..<count]) {
                    switch item {
                    case .line(let line): continuation.yield(.line(line))
                    case .overlong:
                        continuation.yield(.overlong)
                        break reading
                    }
                }
            }
            close(output)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            let code = ProcessLauncher.exitCode(fromWaitStatus: status)
            exit.status.withLock { $0 = code }
            exit.waiters.releaseAll()
            continuation.yield(.exited(status: code))
            continuation.finish()
        }
        Thread.detachNewThread {
            var framer = PluginLineFramer(maxLineBytes: 8192)
            var buffer = [UInt8](repeating: 0, count: 8192)
            var lines = 0
            while true {
                let count = read(errors, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                // Read whatever comes, so stderr never fills; log the first lines, drop over-long ones.
                for item in framer.append(buffer[..<count]) {
                    switch item {
                    case .line(let line) where lines < 10_000:
                        lines += 1
                        diagnostics(String(decoding: line, as: UTF8.self))
                    case .line: break
                    case .overlong: framer = PluginLineFramer(maxLineBytes: 8192)
                    }
                }
            }
            close(errors)
        }
    }

    /// Queues `line` (a newline is added) for the plugin's stdin; false if the plugin is not
    /// reading (too much is queued) or its input is closed.
    func write(_ line: [UInt8]) -> Bool {
        let size = line.count + 1
        let accepted = queued.withLock { queued -> Bool in
            guard queued + size <= maxQueuedBytes else { return false }
            queued += size
            return true
        }
        guard accepted, !closed.withLock({ $0 }) else { return false }
        writes.async { [self] in
            defer { queued.withLock { $0 -= size } }
            guard !closed.withLock({ $0 }) else { return }
            var bytes = line
            bytes.append(UInt8(ascii: "\n"))
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { send(input, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }  // EPIPE: the plugin is gone
                offset += written
            }
        }
        return true
    }

    /// Closes stdin: a well-behaved plugin ends when its input does.
    func closeInput() {
        let first = closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        if first {
            writes.async { [input] in
                shutdown(input, Int32(SHUT_WR))
                close(input)
            }
        }
    }

    func kill() {
        exit.status.withLock { status in
            // Under the lock: the reader thread records the exit under it before the pid is free.
            if status == nil { _ = Glibc.kill(pid, SIGKILL) }
        }
    }

    /// Waits until the program has ended; its exit status (128 + signal if killed).
    func waitForExit() async -> Int32 {
        while true {
            let generation = exit.waiters.generation
            if let status = exit.status.withLock({ $0 }) { return status }
            await exit.waiters.wait(since: generation)
            if Task.isCancelled { return exit.status.withLock { $0 } ?? -1 }
        }
    }

    deinit {
        closeInput()
    }
}
