public import Foundation

/// The `KEY=value` lines a test-server script writes for the tests (`.build-irc/env`,
/// `.build-matrix/env`): where the server listens and the test accounts' passwords.
public struct EnvFile: Sendable {
    public let values: [String: String]

    /// Reads the file; nil if it is missing, which means the server was never started.
    public init?(_ url: URL) {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        self.values = values
    }

    /// The value of `key`, or `missing` thrown.
    public func value(_ key: String, or missing: some Error) throws -> String {
        guard let value = values[key] else { throw missing }
        return value
    }
}
