public import ParleyCore

/// How the client proves its services account during registration (IRCv3 SASL 3.2).
public enum SASLCredentials: Sendable, Hashable {
    /// Account and password, sent once (only ever over TLS in a sane config).
    case plain(account: String, password: Secret)
    /// The TLS client certificate the server already saw (CertFP); nothing is sent.
    case external
    /// Account and password proven by SCRAM-SHA-256 (RFC 7677): the password never crosses the
    /// wire, and the server proves it knows it too.
    case scramSHA256(account: String, password: Secret)

    /// The IRC name of the mechanism.
    public var mechanism: String {
        switch self {
        case .plain: "PLAIN"
        case .external: "EXTERNAL"
        case .scramSHA256: "SCRAM-SHA-256"
        }
    }
}

/// One SASL exchange: answers each server challenge (decoded from base64) with the next client
/// message, until the mechanism is done.
protocol SASLExchange: Sendable {
    /// The client's next message for `challenge`, or nil when the server's challenge is wrong
    /// (a forged or broken server signature): the client then aborts with `AUTHENTICATE *`.
    mutating func respond(to challenge: [UInt8]) -> [UInt8]?
    /// Whether the exchange has run to its end on the client's side: a server that reports
    /// success (903) before that (SCRAM without its signature) is not believed.
    var isComplete: Bool { get }
}

/// PLAIN (RFC 4616): `authzid NUL authcid NUL password`, with the account as both ids.
struct PlainExchange: SASLExchange {
    let account: String
    let password: Secret
    private var sent = false
    var isComplete: Bool { sent }

    init(account: String, password: Secret) {
        self.account = account
        self.password = password
    }

    mutating func respond(to challenge: [UInt8]) -> [UInt8]? {
        guard !sent, challenge.isEmpty else { return nil }
        sent = true
        return Array(account.utf8) + [0] + Array(account.utf8) + [0] + Array(password.value.utf8)
    }
}

/// EXTERNAL (RFC 4422 appendix A): an empty authorisation identity.
struct ExternalExchange: SASLExchange {
    private var sent = false
    var isComplete: Bool { sent }

    mutating func respond(to challenge: [UInt8]) -> [UInt8]? {
        guard !sent, challenge.isEmpty else { return nil }
        sent = true
        return []
    }
}
