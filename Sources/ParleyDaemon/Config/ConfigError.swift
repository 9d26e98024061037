/// Where in a config file something is: the file, the key path (`networks.libera.port`) and,
/// where YAML told us, the line.
public struct ConfigLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var keyPath: String
    public var line: Int?

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return keyPath.isEmpty ? place : "\(place): \(keyPath)"
    }
}

/// A config file that cannot be used, with where and why, and what would be valid.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case unreadableFile(path: String, reason: String)
    case syntax(file: String, line: Int?, message: String)
    case unknownKey(ConfigLocation, valid: [String], suggestion: String?)
    case missingKey(ConfigLocation)
    case wrongType(ConfigLocation, expected: String, found: String)
    case invalidValue(ConfigLocation, message: String)
    case missingEnvironmentVariable(ConfigLocation, variable: String)
    case unreadableSecret(ConfigLocation, path: String, reason: String)
    case conflictingKeys(ConfigLocation, String, String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            "\(path): cannot read the config file: \(reason)"
        case .syntax(let file, let line, let message):
            "\(line.map { "\(file):\($0)" } ?? file): not valid YAML: \(message)"
        case .unknownKey(let location, let valid, let suggestion):
            "\(location): unknown key"
                + (suggestion.map { "; did you mean '\($0)'?" } ?? ".")
                + " Valid keys here: \(valid.joined(separator: ", "))."
        case .missingKey(let location):
            "\(location): required key is missing"
        case .wrongType(let location, let expected, let found):
            "\(location): expected \(expected), found \(found)"
        case .invalidValue(let location, let message):
            "\(location): \(message)"
        case .missingEnvironmentVariable(let location, let variable):
            "\(location): environment variable \(variable) is not set (set it, or use the *_file form of the key to read the secret from a file)"
        case .unreadableSecret(let location, let path, let reason):
            "\(location): cannot read secret file \(path): \(reason)"
        case .conflictingKeys(let location, let first, let second):
            "\(location): give either '\(first)' or '\(second)', not both"
        }
    }

    public var location: ConfigLocation? {
        switch self {
        case .unreadableFile, .syntax: nil
        case .unknownKey(let location, _, _), .missingKey(let location), .wrongType(let location, _, _),
            .invalidValue(let location, _), .missingEnvironmentVariable(let location, _),
            .unreadableSecret(let location, _, _), .conflictingKeys(let location, _, _):
            location
        }
    }
}

/// The closest of `candidates` to `word`, if close enough to be a likely misspelling.
func suggestion(for word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

/// Levenshtein distance.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
