public import ParleyCore

/// Why a call to a plugin brought no answer. Each is logged with the plugin's name; the channel
/// sees at most one short sentence, and a review hook follows its failure mode.
public enum PluginError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not running now: starting, waiting to restart, or disabled.
    case unavailable(PluginName, reason: String)
    /// No answer within the call's time; the plugin is restarted.
    case timedOut(PluginName, after: Duration)
    /// The process ended while the call was open.
    case exited(PluginName, status: Int32)
    /// It wrote something that is not the protocol (not JSON, a line over the limit, an answer
    /// to nothing); it is cut off and restarted.
    case protocolViolation(PluginName, detail: String)
    /// It answered the call with an error of its own.
    case failed(PluginName, message: String)
    /// It could not be started.
    case launchFailed(PluginName, detail: String)

    public var description: String {
        switch self {
        case .unavailable(let name, let reason): "plugin \(name) is not available: \(reason)"
        case .timedOut(let name, let after): "plugin \(name) did not answer within \(after); restarting it"
        case .exited(let name, let status): "plugin \(name) exited (status \(status)) during a call"
        case .protocolViolation(let name, let detail): "plugin \(name) broke the protocol (\(detail)); restarting it"
        case .failed(let name, let message): "plugin \(name) reported an error: \(message)"
        case .launchFailed(let name, let detail): "plugin \(name) could not be started: \(detail)"
        }
    }
}

extension PluginError: UserPresentableError {
    /// One sentence for the channel; the details are in the log.
    public var userMessage: String {
        switch self {
        case .failed(_, let message): message
        case .unavailable(let name, _), .timedOut(let name, _), .exited(let name, _), .protocolViolation(let name, _),
            .launchFailed(let name, _):
            "Sorry, the \(name) plugin is not working right now."
        }
    }
}
