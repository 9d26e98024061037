import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts programs with `posix_spawn` and a clean signal state: nothing blocked, default
/// dispositions, whatever mask and handlers the parent has. (Not Foundation's `Process`, which
/// waits for SIGCHLD that a runner's signal mask can hold back.) For plugins, and for the
/// programs tests start.
public enum ProcessLauncher {
    /// What one of the child's descriptors is.
    public enum Redirection: Sendable, Hashable {
        /// The parent's descriptor `source` becomes the child's `target`.
        case descriptor(Int32, as: Int32)
        /// The file at `path`, opened for appending (created if needed), becomes `target`.
        case appending(toFile: String, as: Int32)
    }

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `arguments` (the program's path first) and returns its process id.
    /// - Parameter ownProcessGroup: a group of its own, so that a signal to the parent's group
    ///   (Ctrl-C) does not reach the child before the parent has asked it to stop.
    public static func spawn(
        _ arguments: [String], environment: [String: String], redirections: [Redirection] = [], ownProcessGroup: Bool = false
    ) throws -> Int32 {
        guard let program = arguments.first else { throw Failed(description: "no program to run") }
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
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for redirection in redirections {
            switch redirection {
            case .descriptor(let source, let target):
                posix_spawn_file_actions_adddup2(&actions, source, target)
            case .appending(let path, let target):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            }
        }

        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in cEnvironment { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, program, &actions, &attributes, cArguments, cEnvironment)
        guard status == 0 else { throw Failed(description: "could not start \(program): \(String(cString: strerror(status)))") }
        return pid
    }

    /// A `waitpid` status as a shell shows it: the exit status, or 128 + the signal that ended it.
    public static func exitCode(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
