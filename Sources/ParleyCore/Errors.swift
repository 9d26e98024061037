/// An error that can tell the people in a channel, in one short sentence, what went wrong.
/// The details (and anything secret) stay in the log.
public protocol UserPresentableError: Error {
    var userMessage: String { get }
}

/// A connector could not do what was asked.
public enum ConnectorError: Error, CustomStringConvertible, Equatable {
    case unsupportedAction(ModerationAction, network: NetworkID)
    case unknownNetwork(NetworkID)
    case notConnected(NetworkID)

    public var description: String {
        switch self {
        case .unsupportedAction(let action, let network):
            "network '\(network)' cannot \(action.kind.rawValue) (the connector does not support it)"
        case .unknownNetwork(let network):
            "no connector is configured for network '\(network)'"
        case .notConnected(let network):
            "network '\(network)' is not connected; the message was not sent"
        }
    }
}

/// A generation could not be made.
public enum GenerationError: Error, CustomStringConvertible, UserPresentableError, Equatable {
    case unknownBackend(BackendName)
    case backendFailed(backend: BackendName, detail: String)

    public var description: String {
        switch self {
        case .unknownBackend(let name): "no backend named '\(name)' is configured"
        case .backendFailed(let backend, let detail): "backend '\(backend)' failed: \(detail)"
        }
    }

    public var userMessage: String { BotSentence.noAnswer.text(in: .english) }
}
