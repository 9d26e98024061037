public import struct Foundation.Date

/// An IRCv3 strict transport security policy (`sts` capability): the host is to be reached only
/// over TLS on `port` until `expires`.
public struct STSPolicy: Sendable, Hashable {
    public var port: Int
    public var expires: Date

    public init(port: Int, expires: Date) {
        self.port = port
        self.expires = expires
    }

    /// What the server advertised in `sts=…` (`port=6697,duration=2592000,preload`).
    struct Advertisement: Equatable {
        var port: Int?
        var duration: Int?

        init(_ value: String) {
            for item in IRCText.fields(value, separator: ",") {
                let (key, text) = IRCText.keyAndValue(item)
                guard let number = text.flatMap({ Int($0) }) else { continue }
                switch key {
                case "port": port = (1...65535).contains(number) ? number : nil
                case "duration": duration = number >= 0 ? number : nil
                default: break
                }
            }
        }
    }
}

/// Where STS policies outlive the process (the SQLite store, in the daemon).
public protocol STSPolicyStore: Sendable {
    func policy(for host: String) async throws -> STSPolicy?
    func save(_ policy: STSPolicy, for host: String) async throws
    func removePolicy(for host: String) async throws
}
