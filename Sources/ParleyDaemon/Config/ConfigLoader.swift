public import Foundation
import Logging
import ParleyCore
import ParleyPlugins
import ParleyStore
import Yams
#if canImport(Glibc)
import Glibc
#endif

/// Reads and validates a config file.
public enum ConfigLoader {
    /// Loads the config at `path`.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ParleyConfiguration {
        let text: String
        do {
            text = try TextFile.read(path, maxBytes: 16 << 20)
        } catch {
            throw ConfigError.unreadableFile(path: path, reason: error.description)
        }
        return try parse(text, file: path, environment: environment)
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(
        _ text: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ParleyConfiguration {
        let root = try compose(text, file: file)
        let source = ConfigSource(file: file, environment: environment) { path in try TextFile.read(path) }
        return try read(ConfigNode(node: root, path: "", source: source))
    }

    /// The YAML document in `text`, or a syntax error naming `file` and the line.
    static func compose(_ text: String, file: String) throws -> Node {
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                throw ConfigError.syntax(file: file, line: nil, message: "the file is empty")
            }
            return composed
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            let line: Int? = switch error {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
            default: nil
            }
            let problem: String = switch error {
            case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
            default: "\(error)"
            }
            throw ConfigError.syntax(file: file, line: line, message: problem)
        } catch {
            throw ConfigError.syntax(file: file, line: nil, message: "\(error)")
        }
    }

    static let topLevelKeys = ["bot", "storage", "backends", "networks", "defaults", "channels", "moderation", "admins", "logging", "shutdown", "plugins", "admin_http", "operators", "staff", "privacy"]

    private static func read(_ root: ConfigNode) throws -> ParleyConfiguration {
        let top = try root.mapping(keys: topLevelKeys)
        var bot = try readBot(top["bot"])
        let backends = try readBackends(top.required("backends"))
        let networks = try readNetworks(top.required("networks"))
        let backendNames = backends.map(\.name.rawValue)
        let plugins = try top["plugins"].map(PluginReader.read) ?? []
        let pluginNames = plugins.map(\.manifest.name.rawValue)
        let defaults = try ChannelPolicyReader.read(
            top["defaults"], base: ChannelPolicy(backend: BackendName(backendNames.first ?? "")), backends: backendNames,
            plugins: pluginNames, networks: networks.map(\.name))
        let rules = try ChannelPolicyReader.readRules(
            top["channels"], defaults: defaults, backends: backendNames, networks: networks.map(\.name), plugins: pluginNames)
        bot.roles = try readRoles(top, networks: networks.map(\.name))
        var privacyMask: PrivacyMask?
        if let privacy = top["privacy"] {
            let map = try privacy.mapping(keys: ["forget_by_nick", "redact"])
            if let byNick = map["forget_by_nick"] { bot.forgetsByNick = try byNick.bool() }
            if let redact = map["redact"] { privacyMask = try readPrivacyMask(redact) }
        }
        if let shutdown = top["shutdown"] {
            let map = try shutdown.mapping(keys: ["drain_s"])
            if let drain = map["drain_s"] { bot.drainTime = .seconds(try drain.int(in: 0...3600)) }
        }
        if let escalation = top["bot"].flatMap({ try? $0.mapping(keys: botKeys) })?["escalation_channel"] {
            bot.escalationChannel = try readChannelKey(escalation, networks: networks.map(\.name))
        }
        return ParleyConfiguration(
            bot: bot,
            storage: try readStorage(top["storage"]),
            backends: backends,
            networks: networks,
            policies: ChannelPolicies(rules: rules, fallback: defaults),
            moderation: try ModerationReader.read(top["moderation"]),
            logging: try readLogging(top["logging"]),
            plugins: plugins,
            adminHTTP: try top["admin_http"].map(readAdminHTTP),
            privacyMask: privacyMask)
    }

    /// `redact: [email, phone, card, iban, {name: ticket, pattern: "TCK-[0-9]+"}]`.
    private static func readPrivacyMask(_ node: ConfigNode) throws -> PrivacyMask {
        let patterns = try node.list().map { item -> PrivacyMask.Pattern in
            if case .mapping = item.node {
                let map = try item.mapping(keys: ["name", "pattern"])
                let nameNode = try map.required("name")
                let name = try nameNode.nonEmptyString()
                guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    throw nameNode.invalid("a pattern's name is letters, digits and _ (it names its placeholders, [\(name.uppercased())_1])")
                }
                let patternNode = try map.required("pattern")
                let regex = try patternNode.nonEmptyString()
                if let problem = PrivacyMask.problem(in: regex) { throw patternNode.invalid("not a usable regular expression: \(problem)") }
                return .custom(name: name, regex: regex)
            }
            return try item.choice([("email", .email), ("phone", .phone), ("card", .card), ("iban", .iban)])
        }
        return PrivacyMask(patterns: patterns)
    }

    static let botKeys = ["name", "command_prefix", "ask_command", "max_concurrent_generations", "max_conversations", "escalation_channel"]

    private static func readBot(_ node: ConfigNode?) throws -> BotConfiguration {
        var bot = BotConfiguration()
        guard let node else { return bot }
        let map = try node.mapping(keys: botKeys)
        if let name = map["name"] { bot.name = try name.nonEmptyString() }
        if let prefix = map["command_prefix"] {
            bot.commandPrefix = try prefix.nonEmptyString()
            guard !bot.commandPrefix.contains(" ") else { throw prefix.invalid("the command prefix cannot contain spaces") }
        }
        if let ask = map["ask_command"] { bot.askCommand = try ask.nonEmptyString().lowercased() }
        if let limit = map["max_concurrent_generations"] { bot.maxConcurrentGenerations = try limit.int(in: 1...64) }
        if let limit = map["max_conversations"] { bot.maxSessions = try limit.int(in: 1...1_000_000) }
        return bot
    }

    static func readChannelKey(_ node: ConfigNode, networks: [NetworkID]) throws -> ChannelKey {
        let map = try node.mapping(keys: ["network", "channel"])
        let network = try readNetworkName(map.required("network"), networks: networks)
        return ChannelKey(network: network, channel: try map.required("channel").nonEmptyString())
    }

    static func readNetworkName(_ node: ConfigNode, networks: [NetworkID]) throws -> NetworkID {
        let name = NetworkID(try node.nonEmptyString())
        guard networks.contains(name) else {
            let names = networks.map(\.rawValue)
            let hint = suggestion(for: name.rawValue, among: names).map { " (did you mean '\($0)'?)" } ?? ""
            throw node.invalid("no network named '\(name)'\(hint); configured networks: \(names.joined(separator: ", "))")
        }
        return name
    }

    private static func readStorage(_ node: ConfigNode?) throws -> StorageConfiguration {
        var storage = StorageConfiguration(path: "data/parley.sqlite", retention: Retention())
        guard let node else { return storage }
        let map = try node.mapping(keys: ["path", "retention"])
        if let path = map["path"] {
            storage.path = try path.nonEmptyString()
            if storage.path != ":memory:", let problem = StoragePath.problem(storage.path) { throw path.invalid(problem) }
        }
        if let retention = map["retention"] {
            let retentionMap = try retention.mapping(keys: ["max_age_days", "max_entries_per_channel"])
            if let days = retentionMap["max_age_days"] {
                storage.retention.maxAge = .seconds(try days.int(in: 1...36_500) * 86_400)
            }
            if let entries = retentionMap["max_entries_per_channel"] {
                storage.retention.maxEntriesPerSession = try entries.int(in: 1...1_000_000)
            }
        }
        return storage
    }

    private static func readBackends(_ node: ConfigNode) throws -> [BackendConfiguration] {
        let entries = try node.namedEntries()
        guard !entries.isEmpty else { throw node.invalid("configure at least one backend") }
        return try entries.map { name, node in
            let any = try node.mapping(keys: Array(Set(["type", "context", "model", "threads", "cached_conversations"] + OpenAIBackendReader.keys)).sorted())
            let type = try any.required("type").choice([("echo", "echo"), ("local", "local"), ("openai", "openai")])
            if type == "openai" {
                return try OpenAIBackendReader.read(name: name, node)
            }
            let map = try node.mapping(keys: ["type", "context", "model", "threads", "cached_conversations"])
            let context = try map["context"]?.int(in: 256...1_048_576)
            switch type {
            case "local":
                let modelNode = try map.required("model")
                let model = try modelNode.nonEmptyString()
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) else {
                    throw modelNode.invalid(
                        "model file \(model) does not exist (scripts/fetch-model NAME fetches the examples' models: smollm2-135m, the default, qwen2.5-0.5b, qwen2.5-1.5b, gemma3-270m)")
                }
                guard !isDirectory.boolValue, (try? FileManager.default.attributesOfItem(atPath: model)[.type] as? FileAttributeType) == .typeRegular else {
                    throw modelNode.invalid("\(model) is not a regular file; name the .gguf model file itself")
                }
                let local = LocalModelConfiguration(
                    model: model,
                    threads: try map["threads"]?.int(in: 1...256),
                    cachedConversations: try map["cached_conversations"]?.int(in: 1...1024) ?? 4)
                return BackendConfiguration(name: BackendName(name), kind: .local(local), contextWindow: context ?? 4096)
            default:
                for key in ["model", "threads", "cached_conversations"] where map[key] != nil {
                    throw map[key]!.invalid("'\(key)' applies to local backends only")
                }
                return BackendConfiguration(name: BackendName(name), kind: .echo, contextWindow: context ?? 4096)
            }
        }
    }

    private static func readNetworks(_ node: ConfigNode) throws -> [NetworkConfiguration] {
        let entries = try node.namedEntries()
        guard !entries.isEmpty else { throw node.invalid("configure at least one network") }
        return try entries.map { name, node in
            // The type decides which keys are valid; read it first from the union of them.
            let any = try node.mapping(keys: Array(Set(["type", "user"] + IRCNetworkReader.keys + MatrixNetworkReader.keys)).sorted())
            let type = try any.required("type").choice([("console", "console"), ("irc", "irc"), ("matrix", "matrix")])
            switch type {
            case "matrix":
                let configuration = try MatrixNetworkReader.read(name: NetworkID(name), node)
                return NetworkConfiguration(name: NetworkID(name), kind: .matrix(configuration))
            case "irc":
                let configuration = try IRCNetworkReader.read(name: NetworkID(name), node)
                return NetworkConfiguration(name: NetworkID(name), kind: .irc(configuration))
            default:
                let map = try node.mapping(keys: ["type", "user"])
                let user = try map["user"]?.nonEmptyString()
                    ?? ProcessInfo.processInfo.environment["USER"] ?? "you"
                return NetworkConfiguration(name: NetworkID(name), kind: .console(user: user))
            }
        }
    }

    /// `admins:`, `operators:` and `staff:`: lists of `{network, account | user_id, channel}`.
    private static func readRoles(_ top: ConfigMapping, networks: [NetworkID]) throws -> RoleList {
        var entries: [RoleList.Entry] = []
        for (key, role) in [("admins", RoleList.Role.admin), ("operators", .operator), ("staff", .staff)] {
            guard let node = top[key] else { continue }
            for entry in try node.list() {
                let map = try entry.mapping(keys: ["network", "account", "user_id", "channel"])
                let network = try readNetworkName(map.required("network"), networks: networks)
                let channel = try map["channel"].map { try $0.nonEmptyString() }
                switch (map["account"], map["user_id"]) {
                case (let account?, nil), (nil, let account?):
                    entries.append(RoleList.Entry(network: network, account: try account.nonEmptyString(), role: role, channel: channel))
                case (_?, let second?):
                    throw ConfigError.conflictingKeys(second.location, "account", "user_id")
                case (nil, nil):
                    throw ConfigError.missingKey(ConfigLocation(
                        file: entry.source.file, keyPath: "\(entry.path).account", line: entry.line))
                }
            }
        }
        return RoleList(entries)
    }

    /// `admin_http: { listen: "127.0.0.1:9464", token: … | token_file: … }`.
    private static func readAdminHTTP(_ node: ConfigNode) throws -> AdminHTTPConfiguration {
        let map = try node.mapping(keys: ["listen", "token", "token_file"])
        let listen = try map["listen"].map { try $0.nonEmptyString() } ?? "127.0.0.1:9464"
        let valid = "write an IP address and a port, as 127.0.0.1:9464 or [::1]:9464"
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]), port > 0 else {
            throw (map["listen"] ?? node).invalid("'\(listen)' is not an address and port; \(valid)")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { host = "127.0.0.1" }
        guard isIPAddress(host) else {
            throw (map["listen"] ?? node).invalid("'\(host)' is not an IP address; \(valid)")
        }
        let configuration = AdminHTTPConfiguration(host: host, port: port, token: try map.secret("token"))
        if !configuration.isLoopback && configuration.token == nil {
            throw (map["listen"] ?? node).invalid(
                "the admin listener on \(host), off loopback, needs a token (token: ${ENV} or token_file:), or listen on 127.0.0.1")
        }
        return configuration
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    private static func readLogging(_ node: ConfigNode?) throws -> LoggingConfiguration {
        var logging = LoggingConfiguration(level: .info, format: .text)
        guard let node else { return logging }
        let map = try node.mapping(keys: ["level", "format"])
        if let level = map["level"] {
            logging.level = try level.choice(Logger.Level.allCases.map { ($0.rawValue, $0) })
        }
        if let format = map["format"] {
            logging.format = try format.choice(LoggingConfiguration.Format.allCases.map { ($0.rawValue, $0) })
        }
        return logging
    }
}
