import Foundation
import ParleyBackends
import ParleyIRC
import ParleyMatrix
import ParleyCore
import ParleyPlugins

/// What `parley config check` prints about a valid config. Secrets never appear in it.
public struct ConfigSummary {
    private let configuration: ParleyConfiguration

    public init(_ configuration: ParleyConfiguration) {
        self.configuration = configuration
    }

    public func text(file: String) -> String {
        let backends = configuration.backends.map { backend in
            switch backend.kind {
            case .echo: "\(backend.name) (echo, context \(backend.contextWindow))"
            case .local(let local): "\(backend.name) (local \(local.model), context \(backend.contextWindow))"
            case .openAI(let api): "\(backend.name) (openai \(api.baseURL.absoluteString), model \(api.model), key \(api.apiKey == nil ? "none" : "set"), \(api.streaming ? "streaming" : "not streaming"))"
            }
        }
        let networks = configuration.networks.map { network in
            switch network.kind {
            case .console(let user): "\(network.name) (console, user \(user))"
            case .irc(let irc): "\(network.name) (irc \(irc.endpoint.host):\(irc.endpoint.port), \(Self.tls(irc.endpoint.tls)), nick \(irc.session.nick), sasl \(irc.session.sasl?.mechanism ?? "off"), channels \(irc.session.channels.map(\.name).joined(separator: " ")))"
            case .matrix(let matrix): "\(network.name) (matrix \(matrix.homeserver.absoluteString), user \(matrix.userID), \(Self.authentication(matrix.authentication)), rooms \(matrix.rooms.isEmpty ? "by invite" : matrix.rooms.joined(separator: " ")), \(Self.encryption(matrix)))"
            }
        }
        let plugins = configuration.plugins.map { plugin in
            let manifest = plugin.manifest
            let commands = manifest.commands.map { configuration.bot.commandPrefix + $0.name }
            let hooks = manifest.hooks.map(\.label).sorted()
            return "\(manifest.name) \(manifest.version) (\((commands + hooks).joined(separator: ", ")))"
        }
        let adminHTTP = configuration.adminHTTP.map { http in
            "\(http.host.contains(":") ? "[\(http.host)]" : http.host):\(http.port), token \(http.token == nil ? "none" : "required")"
        } ?? "off"
        return """
            \(file): OK
              bot: \(configuration.bot.name), command prefix \(configuration.bot.commandPrefix)
              backends: \(backends.joined(separator: ", "))
              networks: \(networks.joined(separator: ", "))
              channel rules: \(configuration.policies.rules.count), default backend \(configuration.policies.fallback.backend)
              storage: \(configuration.storage.path)
              admins: \(configuration.bot.roles.entries.count)
              plugins: \(plugins.isEmpty ? "none" : plugins.joined(separator: ", "))
              admin listener: \(adminHTTP)
            """
    }

    private static func authentication(_ authentication: MatrixConnectorConfiguration.Authentication) -> String {
        switch authentication {
        case .accessToken: "access token set"
        case .password: "password login, device kept"
        }
    }

    private static func encryption(_ matrix: MatrixConnectorConfiguration) -> String {
        guard matrix.cryptoPickleKey != nil else { return "encryption off" }
        var parts = ["encryption on"]
        if matrix.keyBackupRecoveryKey != nil { parts.append("key backup on") }
        if !matrix.blacklistedDevices.isEmpty { parts.append("\(matrix.blacklistedDevices.count) blacklisted") }
        return parts.joined(separator: ", ")
    }

    private static func tls(_ settings: IRCEndpoint.TLSSettings?) -> String {
        guard let settings else { return "plaintext" }
        return switch settings.verification {
        case .system: "TLS verified"
        case .caFile(let path): "TLS verified against \(path)"
        case .pinnedSHA256: "TLS pinned"
        case .none: "TLS NOT verified"
        }
    }
}
