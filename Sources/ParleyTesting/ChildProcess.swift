import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program a test starts: a script that sets up a server, or Parley itself to be killed.
///
/// Spawned with `posix_spawn` and reaped with `waitpid` directly: Foundation's `Process` waits
/// for SIGCHLD, which a test runner's signal mask can keep from arriving. The child starts with
/// no signals blocked and default dispositions, whatever the runner has.
public struct ChildProcess: Sendable {
    public let pid: Int32

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `arguments` (the program's path first); its output goes to `outputPath` if given.
    public static func spawn(_ arguments: [String], environment: [String: String]? = nil, outputPath: String? = nil) throws -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }

        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environmentStrings = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = environmentStrings.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard status == 0 else { throw Failed(description: "could not start \(arguments[0]): \(String(cString: strerror(status)))") }
        return ChildProcess(pid: pid)
    }

    /// Runs `arguments` to the end; throws unless it exits with 0.
    public static func run(_ arguments: [String], environment: [String: String]? = nil, outputPath: String? = nil) throws {
        let child = try spawn(arguments, environment: environment, outputPath: outputPath)
        let status = child.wait()
        guard status == 0 else { throw Failed(description: "\(arguments.joined(separator: " ")) exited with status \(status)") }
    }

    public func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the child to end; its exit status, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
