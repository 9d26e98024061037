import ParleyCore
import Yams

/// Reads `defaults` and the `channels` rules.
enum ChannelPolicyReader {
    static let policyKeys = [
        "trigger", "scope", "system_prompt", "system_prompt_file", "backend", "fallback", "announce_fallback", "answer_bots", "model", "max_tokens",
        "temperature", "top_p", "seed", "stop", "history", "record_chatter", "queue", "reply_as", "plugins", "language", "messages",
        "channel_ops_may_configure", "knowledge", "helpdesk", "memory", "retention_days", "privacy_notice",
    ]

    /// The channel rules, each starting from `defaults`.
    static func readRules(
        _ node: ConfigNode?, defaults: ChannelPolicy, backends: [String], networks: [NetworkID], plugins: [String] = []
    ) throws -> [(match: ChannelMatch, policy: ChannelPolicy)] {
        guard let node else { return [] }
        return try node.list().map { entry in
            let map = try entry.mapping(keys: ["match"] + policyKeys)
            let matchNode = try map.required("match")
            let matchMap = try matchNode.mapping(keys: ["network", "channel", "direct"])
            let match = ChannelMatch(
                network: try matchMap["network"].map { try ConfigLoader.readNetworkName($0, networks: networks) },
                channel: try matchMap["channel"]?.nonEmptyString(),
                direct: try matchMap["direct"]?.bool())
            if match.direct == true, let days = map["retention_days"] {
                // The store knows a conversation by network and channel, not whether it was direct.
                throw days.invalid("retention_days cannot be set for direct conversations alone; set it on the network's rule or in storage.retention")
            }
            return (match, try apply(map, to: defaults, backends: backends, plugins: plugins, networks: networks))
        }
    }

    /// The `defaults` section over Parley's own defaults.
    static func read(
        _ node: ConfigNode?, base: ChannelPolicy, backends: [String], plugins: [String] = [], networks: [NetworkID] = []
    ) throws -> ChannelPolicy {
        guard let node else { return base }
        return try apply(node.mapping(keys: policyKeys), to: base, backends: backends, plugins: plugins, networks: networks)
    }

    /// `plugins: all | none | [names]` (only these) `| { except: [names] }`; names must be
    /// enabled in the `plugins` section.
    static func pluginSelection(_ node: ConfigNode, enabled: [String]) throws -> PluginSelection {
        func names(_ list: ConfigNode) throws -> Set<String> {
            Set(try list.stringList().map { name in
                guard enabled.contains(name) else {
                    let known = enabled.isEmpty ? "no plugins are enabled" : "enabled: \(enabled.joined(separator: ", "))"
                    throw list.invalid("'\(name)' is not an enabled plugin (\(known))")
                }
                return name
            })
        }
        if case .mapping = node.node {
            return .except(try names(try node.mapping(keys: ["except"]).required("except")))
        }
        if case .scalar = node.node {
            switch try node.string() {
            case "all": return .all
            case "none": return .only([])
            default: break
            }
        }
        return .only(try names(node))
    }

    private static func apply(
        _ map: ConfigMapping, to base: ChannelPolicy, backends: [String], plugins: [String], networks: [NetworkID]
    ) throws -> ChannelPolicy {
        var policy = base
        if let trigger = map["trigger"] {
            policy.triggers = try trigger.stringList().reduce(into: TriggerSet()) { set, name in
                guard let match = TriggerSet.names.first(where: { $0.0 == name.lowercased() }) else {
                    let names = TriggerSet.names.map(\.0)
                    let hint = suggestion(for: name, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                    throw trigger.invalid("'\(name)' is not a trigger\(hint); use one or a list of: \(names.joined(separator: ", "))")
                }
                set.formUnion(match.1)
            }
        }
        if let scope = map["scope"] {
            policy.scope = try scope.choice(ContextScope.allCases.map { ($0.rawValue, $0) })
        }
        if let prompt = try map.secret("system_prompt") {
            policy.systemPrompt = prompt.value
        }
        if let backend = map["backend"] {
            policy.backend = BackendName(try backendName(backend, backends: backends))
        }
        if let fallback = map["fallback"] {
            policy.fallbacks = try fallback.stringList().map { name in
                guard backends.contains(name) else { throw unknownBackend(name, at: fallback, backends: backends) }
                return BackendName(name)
            }
        }
        if let announce = map["announce_fallback"] { policy.announcesFallback = try announce.bool() }
        if let bots = map["answer_bots"] { policy.answersBots = try bots.bool() }
        if let selection = map["plugins"] { policy.plugins = try pluginSelection(selection, enabled: plugins) }
        if let language = map["language"] { policy.language = try Self.language(language) }
        if let ops = map["channel_ops_may_configure"] { policy.opsMayConfigure = try ops.bool() }
        if let knowledge = map["knowledge"] { policy.knowledge = try KnowledgeReader.read(knowledge) }
        if let helpdesk = map["helpdesk"] {
            policy.helpdesk = try HelpdeskReader.read(helpdesk, networks: networks)
            // A helpdesk keeps each customer's conversation apart unless told otherwise.
            if map["scope"] == nil { policy.scope = .user }
        }
        if let messages = map["messages"] {
            let keys = BotSentence.Key.allCases.map(\.rawValue)
            for (name, node) in try messages.mapping(keys: keys).pairs {
                guard let key = BotSentence.Key(rawValue: name) else { continue }
                let text = try node.nonEmptyString()
                for placeholder in Self.placeholders(in: text) where !key.placeholders.contains(placeholder) {
                    let valid = key.placeholders.isEmpty ? "it takes none" : "it takes " + key.placeholders.map { "{\($0)}" }.joined(separator: ", ")
                    throw node.invalid("'{\(placeholder)}' is not a placeholder of \(name); \(valid)")
                }
                policy.sentences[key] = text
            }
        }
        if let model = map["model"] { policy.parameters.model = try model.nonEmptyString() }
        if let maxTokens = map["max_tokens"] { policy.parameters.maxTokens = try maxTokens.int(in: 1...131_072) }
        if let temperature = map["temperature"] { policy.parameters.temperature = try temperature.double(in: 0...5) }
        if let topP = map["top_p"] { policy.parameters.topP = try topP.double(in: 0...1) }
        if let seed = map["seed"] { policy.parameters.seed = UInt64(try seed.int(in: 0...Int.max)) }
        if let stop = map["stop"] { policy.parameters.stop = try stop.stringList() }
        if let history = map["history"] { policy.historyLimit = try history.int(in: 1...10_000) }
        if let record = map["record_chatter"] { policy.recordsChatter = try record.bool() }
        if let memory = map["memory"] { policy.memory = try readMemory(memory, over: policy.memory, backends: backends) }
        if let days = map["retention_days"] { policy.retention = .seconds(try days.int(in: 1...36_500) * 86_400) }
        if let notice = map["privacy_notice"] { policy.privacyNotice = try notice.nonEmptyString() }
        if let queue = map["queue"] { policy.queueLimit = try queue.int(in: 0...1000) }
        if let replyAs = map["reply_as"] {
            policy.replyStyle = try replyAs.choice([("message", OutboundMessage.Style.message), ("notice", .notice)])
        }
        return policy
    }

    /// `memory: {summaries, summary_backend, summary_tokens, notes}`.
    private static func readMemory(_ node: ConfigNode, over base: MemoryPolicy, backends: [String]) throws -> MemoryPolicy {
        let map = try node.mapping(keys: ["summaries", "summary_backend", "summary_tokens", "notes"])
        var memory = base
        if let summaries = map["summaries"] { memory.summarizes = try summaries.bool() }
        if let backend = map["summary_backend"] { memory.summaryBackend = BackendName(try backendName(backend, backends: backends)) }
        if let tokens = map["summary_tokens"] { memory.summaryTokens = try tokens.int(in: 32...4096) }
        if let notes = map["notes"] { memory.notes = try notes.bool() }
        return memory
    }

    private static func backendName(_ node: ConfigNode, backends: [String]) throws -> String {
        let name = try node.nonEmptyString()
        guard backends.contains(name) else { throw unknownBackend(name, at: node, backends: backends) }
        return name
    }

    private static func unknownBackend(_ name: String, at node: ConfigNode, backends: [String]) -> ConfigError {
        let hint = suggestion(for: name, among: backends).map { " (did you mean '\($0)'?)" } ?? ""
        return node.invalid("no backend named '\(name)'\(hint); configured backends: \(backends.joined(separator: ", "))")
    }

    /// A language the bot has sentences in, as the config writes it.
    static func language(_ node: ConfigNode) throws -> BotLanguage {
        let code = try node.nonEmptyString()
        guard let language = BotLanguage(code: code) else {
            throw node.invalid("Parley has no sentences in '\(code)'; use one of: \(BotLanguage.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return language
    }

    /// The `{name}`s in a sentence's text.
    static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}
