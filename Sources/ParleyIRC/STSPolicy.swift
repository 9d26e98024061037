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
            for item in value.split(separator: ",") {
                let pair = item.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                switch pair[0] {
                case "port": port = Int(pair[1]).flatMap { (1...65535).contains($0) ? $0 : nil }
                case "duration": duration = Int(pair[1]).flatMap { $0 >= 0 ? $0 : nil }
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
