import Foundation
import ParleyCore
import Yams

/// What a config is read with: its file name, the environment, and a way to read secret files.
struct ConfigSource {
    var file: String
    var environment: [String: String]
    var readFile: (String) throws -> String
}

/// One YAML node of a config, with the key path that leads to it, read into typed values with
/// errors that say where and what would be valid.
struct ConfigNode {
    let node: Node
    let path: String
    let source: ConfigSource

    /// The line of the key this value belongs to, where YAML gave it.
    private(set) var keyLine: Int?
    var line: Int? { node.mark?.line ?? keyLine }
    /// Where the key of this value is (the line of the key, not of its value).
    var keyLocation: ConfigLocation { ConfigLocation(file: source.file, keyPath: path, line: keyLine ?? line) }

    init(node: Node, path: String, source: ConfigSource) {
        self.node = node
        self.path = path
        self.source = source
    }

    func at(keyLine: Int?) -> ConfigNode {
        var copy = self
        copy.keyLine = keyLine
        return copy
    }
    var location: ConfigLocation { ConfigLocation(file: source.file, keyPath: path, line: line) }

    func child(_ node: Node, key: String) -> ConfigNode {
        ConfigNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", source: source)
    }

    var found: String {
        switch node {
        case .scalar(let scalar): scalar.string.isEmpty ? "an empty value" : "\"\(scalar.string)\""
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// Whether the value is a plain value (not a mapping, list or alias).
    var isScalar: Bool {
        if case .scalar = node { return true }
        return false
    }

    func wrongType(_ expected: String) -> ConfigError {
        .wrongType(location, expected: expected, found: found)
    }

    func invalid(_ message: String) -> ConfigError {
        .invalidValue(location, message: message)
    }

    /// The raw scalar text, before `${VAR}` substitution.
    private func rawScalar(_ expected: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw wrongType(expected) }
        return scalar.string
    }

    /// A string, with `${VAR}` replaced from the environment.
    /// - Parameter expected: what the caller wants, for the error when the value is a list or a
    ///   mapping ("an integer between 1 and 10", not "a string").
    func string(expected: String = "a string") throws -> String {
        let raw = try rawScalar(expected)
        return try substitutingEnvironment(in: raw)
    }

    func nonEmptyString() throws -> String {
        let value = try string()
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw wrongType("a non-empty string") }
        return value
    }

    func int(in range: ClosedRange<Int>) throws -> Int {
        let expected = "an integer between \(range.lowerBound) and \(range.upperBound)"
        let text = try string(expected: expected)
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw wrongType(expected) }
        guard range.contains(value) else {
            throw invalid("\(value) is out of range; use an integer between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func double(in range: ClosedRange<Double>) throws -> Double {
        let expected = "a number between \(range.lowerBound) and \(range.upperBound)"
        let text = try string(expected: expected)
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { throw wrongType(expected) }
        guard range.contains(value) else {
            throw invalid("\(value) is out of range; use a number between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func bool() throws -> Bool {
        switch try string(expected: "true or false").lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw wrongType("true or false")
        }
    }

    /// One of `choices`, by name.
    func choice<T>(_ choices: [(String, T)]) throws -> T {
        let text = try string(expected: "one of: " + choices.map(\.0).joined(separator: ", "))
        if let match = choices.first(where: { $0.0 == text.lowercased() }) { return match.1 }
        let names = choices.map(\.0)
        let hint = suggestion(for: text, among: names).map { " (did you mean '\($0)'?)" } ?? ""
        throw invalid("'\(text)' is not valid\(hint); use one of: \(names.joined(separator: ", "))")
    }

    func list() throws -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw wrongType("a list") }
        return sequence.enumerated().map { child($0.element, key: "[\($0.offset)]") }
    }

    /// Another YAML file this node names (a plugin manifest, an FAQ), read and composed, its
    /// errors naming that file; `unreadable` says what a read failure means here.
    func document(at file: String, unreadable: (any Error) -> String) throws -> ConfigNode {
        let text: String
        do {
            text = try source.readFile(file)
        } catch {
            throw invalid(unreadable(error))
        }
        let source = ConfigSource(file: file, environment: source.environment, readFile: source.readFile)
        return ConfigNode(node: try ConfigLoader.compose(text, file: file), path: "", source: source)
    }

    /// A list of strings; a single string counts as a list of one.
    func stringList() throws -> [String] {
        if case .scalar = node { return [try string()] }
        return try list().map { try $0.string() }
    }

    /// A mapping whose keys must all be among `keys`.
    func mapping(keys: [String]) throws -> ConfigMapping {
        guard case .mapping = node else { throw wrongType("a mapping") }
        let pairs = try entries()
        for (key, value) in pairs where !keys.contains(key) {
            throw ConfigError.unknownKey(value.keyLocation, valid: keys, suggestion: suggestion(for: key, among: keys))
        }
        return ConfigMapping(node: self, pairs: pairs.map { ($0.key, $0.value) })
    }

    /// A mapping of names the operator chooses (backends, networks) to values.
    func namedEntries() throws -> [(name: String, node: ConfigNode)] {
        guard case .mapping = node else { throw wrongType("a mapping of names to settings") }
        return try entries().map { ($0.key, $0.value) }
    }

    /// The entries of a mapping in order, with YAML merge keys (`<<: *anchor`, or a list of
    /// anchors) expanded: merged entries come after the mapping's own, and never override them.
    private func entries() throws -> [(key: String, value: ConfigNode)] {
        guard case .mapping(let mapping) = node else { return [] }
        var own: [(key: String, value: ConfigNode)] = []
        var merged: [(key: String, value: ConfigNode)] = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let key) = keyNode, !key.string.isEmpty else {
                let found = ConfigNode(node: keyNode, path: path, source: source).found
                throw ConfigError.invalidValue(
                    ConfigLocation(file: source.file, keyPath: path, line: keyNode.mark?.line),
                    message: "a key must be a plain name, found \(found) as a key")
            }
            let value = child(valueNode, key: key.string).at(keyLine: keyNode.mark?.line)
            if key.string == "<<" {
                let sources: [Node] = if case .sequence(let list) = valueNode { Array(list) } else { [valueNode] }
                for source in sources {
                    let part = ConfigNode(node: source, path: path, source: self.source)
                    guard case .mapping = source else { throw value.wrongType("a mapping (an anchor's) or a list of them to merge") }
                    merged += try part.entries()
                }
            } else {
                own.append((key.string, value))
            }
        }
        let ownKeys = Set(own.map(\.key))
        var seen = Set<String>()
        return own + merged.filter { !ownKeys.contains($0.key) && seen.insert($0.key).inserted }
    }

    private func substitutingEnvironment(in text: String) throws -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw invalid("unterminated ${ in \"\(text)\"; write ${NAME}")
            }
            let name = String(rest[start.upperBound..<end])
            guard !name.isEmpty else { throw invalid("${} names no variable; write ${NAME}") }
            guard let value = source.environment[name] else {
                throw ConfigError.missingEnvironmentVariable(location, variable: name)
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}

/// The entries of one YAML mapping, looked up by key.
struct ConfigMapping {
    let node: ConfigNode
    let pairs: [(String, ConfigNode)]

    subscript(key: String) -> ConfigNode? {
        pairs.first { $0.0 == key }?.1
    }

    func required(_ key: String) throws -> ConfigNode {
        guard let value = self[key] else {
            let path = node.path.isEmpty ? key : "\(node.path).\(key)"
            throw ConfigError.missingKey(ConfigLocation(file: node.source.file, keyPath: path, line: node.line))
        }
        return value
    }

    /// A secret given inline as `key` (usually `${ENV_VAR}`) or read from the file named by
    /// `key_file`; nil when neither is present.
    func secret(_ key: String) throws -> Secret? {
        let fileKey = key + "_file"
        switch (self[key], self[fileKey]) {
        case (nil, nil):
            return nil
        case (let inline?, nil):
            return Secret(try inline.nonEmptyString())
        case (nil, let file?):
            let path = try file.nonEmptyString()
            do {
                let contents = try node.source.readFile(path)
                let value = contents.trimmingCharacters(in: .newlines)
                guard !value.isEmpty else { throw file.invalid("secret file \(path) is empty") }
                return Secret(value)
            } catch let error as ConfigError {
                throw error
            } catch {
                throw ConfigError.unreadableSecret(file.location, path: path, reason: "\(error)")
            }
        case (_?, let file?):
            throw ConfigError.conflictingKeys(file.location, key, fileKey)
        }
    }
}
