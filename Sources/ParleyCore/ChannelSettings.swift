import Foundation

/// A channel setting that may be changed from chat (`!config set KEY VALUE`), over the config.
public enum ChannelSetting: String, Sendable, Hashable, Codable, CaseIterable {
    case systemPrompt = "system_prompt"
    case backend
    case model
    case trigger
    case scope
    case temperature
    case maxTokens = "max_tokens"
    case recordChatter = "record_chatter"
    case language

    /// What a value must look like, for the error that refuses one.
    var expected: String {
        switch self {
        case .systemPrompt: "any text"
        case .backend: "a configured backend's name"
        case .model: "a model name"
        case .trigger: "one or more of " + TriggerSet.names.map(\.0).joined(separator: ", ")
        case .scope: "one of " + ContextScope.allCases.map(\.rawValue).joined(separator: ", ")
        case .temperature: "a number from 0 to 5"
        case .maxTokens: "a whole number from 1 to 131072"
        case .recordChatter: "on or off"
        case .language: "one of " + BotLanguage.allCases.map(\.rawValue).joined(separator: ", ")
        }
    }

    /// Sets `value` on `policy`, or says why it cannot be.
    func apply(_ value: String, to policy: inout ChannelPolicy) throws(ChannelSettingError) {
        let value = value.trimmingCharacters(in: .whitespaces)
        let invalid = ChannelSettingError.invalidValue(self, value: value)
        guard !value.isEmpty else { throw invalid }
        switch self {
        case .systemPrompt:
            policy.systemPrompt = value
        case .backend:
            policy.backend = BackendName(value)
        case .model:
            policy.parameters.model = value
        case .trigger:
            var triggers = TriggerSet()
            for word in value.split(whereSeparator: { $0 == "," || $0 == " " }) {
                guard let trigger = TriggerSet.names.first(where: { $0.0 == word.lowercased() })?.1 else { throw invalid }
                triggers.formUnion(trigger)
            }
            policy.triggers = triggers
        case .scope:
            guard let scope = ContextScope(rawValue: value.lowercased()) else { throw invalid }
            policy.scope = scope
        case .temperature:
            guard let temperature = Double(value), (0...5).contains(temperature) else { throw invalid }
            policy.parameters.temperature = temperature
        case .maxTokens:
            guard let tokens = Int(value), (1...131_072).contains(tokens) else { throw invalid }
            policy.parameters.maxTokens = tokens
        case .recordChatter:
            switch value.lowercased() {
            case "on", "true", "yes": policy.recordsChatter = true
            case "off", "false", "no": policy.recordsChatter = false
            default: throw invalid
            }
        case .language:
            guard let language = BotLanguage(code: value) else { throw invalid }
            policy.language = language
        }
    }

    /// The value as `policy` has it, for `!config show`.
    func value(in policy: ChannelPolicy) -> String {
        switch self {
        case .systemPrompt: policy.systemPrompt
        case .backend: policy.backend.rawValue
        case .model: policy.parameters.model ?? "(the backend's)"
        case .trigger:
            policy.triggers.isEmpty
                ? "off" : TriggerSet.names.filter { !$0.1.isEmpty && policy.triggers.contains($0.1) }.map(\.0).joined(separator: ",")
        case .scope: policy.scope.rawValue
        case .temperature: policy.parameters.temperature.map { "\($0)" } ?? "(the backend's)"
        case .maxTokens: "\(policy.parameters.maxTokens)"
        case .recordChatter: policy.recordsChatter ? "on" : "off"
        case .language: policy.language.rawValue
        }
    }
}

/// A value `!config set` refused.
public enum ChannelSettingError: Error, Equatable, CustomStringConvertible, UserPresentableError {
    case unknownKey(String)
    case invalidValue(ChannelSetting, value: String)
    case unknownBackend(String, known: [String])

    public var description: String {
        switch self {
        case .unknownKey(let key):
            "'\(key)' is not a channel setting; settings: " + ChannelSetting.allCases.map(\.rawValue).joined(separator: ", ")
        case .invalidValue(let key, let value):
            "'\(value.prefix(60))' is not a valid \(key.rawValue); use \(key.expected)"
        case .unknownBackend(let name, let known):
            "no backend named '\(name.prefix(60))'; configured backends: \(known.joined(separator: ", "))"
        }
    }

    public var userMessage: String { description }
}

/// The settings admins (or channel operators) gave one channel in chat, laid over the config's
/// policy for it. Kept as written, and checked again on every use: a value a reload made
/// invalid (a backend no longer configured) is skipped, not fatal.
public struct ChannelSettings: Sendable, Hashable, Codable {
    public private(set) var values: [ChannelSetting: String] = [:]

    public init(_ values: [ChannelSetting: String] = [:]) {
        self.values = values
    }

    public var isEmpty: Bool { values.isEmpty }

    /// Sets `key` to `value` once it is known to apply to `policy`.
    mutating func set(_ key: ChannelSetting, to value: String, checkedAgainst policy: ChannelPolicy) throws(ChannelSettingError) {
        var trial = policy
        try key.apply(value, to: &trial)
        values[key] = value.trimmingCharacters(in: .whitespaces)
    }

    /// Removes `key`; false if it was not set.
    mutating func unset(_ key: ChannelSetting) -> Bool {
        values.removeValue(forKey: key) != nil
    }

    /// `policy` with these settings applied (in a fixed order).
    func applied(to policy: ChannelPolicy) -> ChannelPolicy {
        var policy = policy
        for key in ChannelSetting.allCases {
            guard let value = values[key] else { continue }
            try? key.apply(value, to: &policy)
        }
        return policy
    }
}
