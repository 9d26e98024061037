import Foundation
import ParleyPlugins
#if canImport(Glibc)
import Glibc
#endif

/// A program a test starts: a script that sets up a server, or Parley itself to be killed.
///
/// Started by `ProcessLauncher` (a clean signal state, whatever the runner has) and reaped with
/// `waitpid` directly.
public struct ChildProcess: Sendable {
    public let pid: Int32

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `arguments` (the program's path first); its output goes to `outputPath` if given.
    public static func spawn(_ arguments: [String], environment: [String: String]? = nil, outputPath: String? = nil) throws -> ChildProcess {
        do {
            let pid = try ProcessLauncher.spawn(
                arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                redirections: outputPath.map { [.appending(toFile: $0, as: 1), .descriptor(1, as: 2)] } ?? [])
            return ChildProcess(pid: pid)
        } catch {
            throw Failed(description: "\(error)")
        }
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
        return ProcessLauncher.exitCode(fromWaitStatus: status)
    }
}
