public import ParleyCore
public import ParleyStore
public import Logging
public import ParleyIRC
public import ParleyMatrix
public import ParleyBackends
public import ParleyPlugins

/// A whole Parley config, typed and validated.
public struct ParleyConfiguration: Sendable {
    public var bot: BotConfiguration
    public var storage: StorageConfiguration
    public var backends: [BackendConfiguration]
    public var networks: [NetworkConfiguration]
    public var policies: ChannelPolicies
    public var moderation: ModerationConfiguration
    public var logging: LoggingConfiguration
    /// The enabled plugins, manifests read and settings checked.
    public var plugins: [PluginConfiguration] = []
    /// The admin HTTP listener (`/metrics`, `/health`, `/ready`, `/status`); off when nil.
    public var adminHTTP: AdminHTTPConfiguration?
    /// What is masked in text sent to hosted (`openai`) backends (`privacy.redact`).
    public var privacyMask: PrivacyMask?
}

/// Where the admin HTTP listener listens, and the token it asks for.
public struct AdminHTTPConfiguration: Sendable, Equatable {
    /// An IP address (loopback unless the operator says otherwise).
    public var host: String
    public var port: UInt16
    /// Required as `Authorization: Bearer …` when set; required to be set off loopback.
    public var token: Secret?

    public var isLoopback: Bool { host == "127.0.0.1" || host == "::1" || host.hasPrefix("127.") }
}

/// Where state is kept.
public struct StorageConfiguration: Sendable {
    /// A file path, or `:memory:` to keep nothing across restarts.
    public var path: String
    public var retention: Retention
}

/// One configured generation backend.
public struct BackendConfiguration: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Quotes the newest message back; checks wiring without a model.
        case echo
        /// Parley's own engine on a GGUF model file.
        case local(LocalModelConfiguration)
        /// An OpenAI-compatible HTTP API.
        case openAI(OpenAICompatibleConfiguration)
    }

    public var name: BackendName
    public var kind: Kind
    public var contextWindow: Int
}

/// The local engine's settings.
public struct LocalModelConfiguration: Sendable, Equatable {
    /// The GGUF file.
    public var model: String
    /// Worker threads, the caller included; nil uses every core.
    public var threads: Int?
    /// Conversations whose KV caches are kept for fast follow-ups.
    public var cachedConversations: Int
}

/// One configured network.
public struct NetworkConfiguration: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Standard input and output; `user` is the name lines are attributed to.
        case console(user: String)
        /// An IRC network.
        case irc(IRCConnectorConfiguration)
        /// A Matrix homeserver account.
        case matrix(MatrixConnectorConfiguration)
    }

    public var name: NetworkID
    public var kind: Kind
}

/// The built-in moderation hooks' settings.
public struct ModerationConfiguration: Sendable {
    public var perUser: RateLimit?
    public var perChannel: RateLimit?
    public var maxInputCharacters: Int
    public var maxMentionsPerReply: Int
    public var ignore: [String]
    public var blocklist: [BlocklistHook.Rule]
}

/// How Parley logs.
public struct LoggingConfiguration: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    public var level: Logger.Level
    public var format: Format
}
