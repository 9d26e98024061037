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
    /// The service refused the bot itself (HTTP 401, 403): only the operator can mend it.
    case backendRefused(backend: BackendName, detail: String)
    /// The backend failed a moment ago and sits out its cooldown; it was not asked.
    case backendResting(BackendName)

    public var description: String {
        switch self {
        case .unknownBackend(let name): "no backend named '\(name)' is configured"
        case .backendFailed(let backend, let detail): "backend '\(backend)' failed: \(detail)"
        case .backendRefused(let backend, let detail):
            "backend '\(backend)' refused the bot: \(detail) — check its api_key (or api_key_file) and the account's access to the model"
        case .backendResting(let name): "backend '\(name)' failed recently and is not asked again until its cooldown ends"
        }
    }

    /// The channel's sentence for this failure.
    public var sentence: BotSentence {
        if case .backendRefused = self { return .unavailable }
        return .noAnswer
    }

    public var userMessage: String { sentence.text(in: .english) }
}
