import Foundation

/// SASL during registration (IRCv3 sasl-3.1/3.2): `AUTHENTICATE <mechanism>`, then each
/// challenge answered with base64 in chunks of 400 bytes (a final exact 400-byte chunk is
/// followed by `AUTHENTICATE +`; an empty message is `+`), until 903 (success) or a failure
/// numeric. Registration ends with `CAP END` either way, unless the policy says to abort.
extension IRCClientState {
    static let saslChunk = 400

    mutating func startSASL(now: Duration) -> [IRCClientAction] {
        guard let credentials = configuration.sasl else { return endCapabilities() }
        guard enabledCapabilities.contains("sasl") else {
            guard mustAbortWithoutSASL else { return endCapabilities() }
            let offered = offeredCapabilities["sasl"].map { $0.isEmpty ? "" : " (it offers \($0))" } ?? ""
            return saslFailed(reason: "the server does not offer SASL \(credentials.mechanism)\(offered)")
        }
        saslExchange = SASLExchanges.make(for: credentials)
        saslChallenge = ""
        phase = .authenticating(since: now)
        return [.send(IRCMessage("AUTHENTICATE", [credentials.mechanism]), urgent: true)]
    }

    /// Whether SASL that cannot happen ends the connection: `on_failure: abort`, unless the
    /// config names NickServ as the fallback.
    var mustAbortWithoutSASL: Bool {
        configuration.onSASLFailure == .abort && configuration.nickServPassword == nil
    }

    mutating func authenticate(_ message: IRCMessage) -> [IRCClientAction] {
        guard case .authenticating = phase, var exchange = saslExchange, let chunk = message.parameters.first else { return [] }
        if chunk != "+" { saslChallenge += chunk }
        // A chunk of exactly 400 bytes means more follows.
        if chunk.utf8.count == Self.saslChunk { return [] }
        let encoded = saslChallenge
        saslChallenge = ""
        guard let challenge = encoded.isEmpty ? Data() : Data(base64Encoded: encoded),
              let response = exchange.respond(to: Array(challenge)) else {
            saslExchange = nil
            return [.send(IRCMessage("AUTHENTICATE", ["*"]), urgent: true)]
                + saslFailed(reason: "the server's SASL challenge was invalid (a forged or broken reply); aborted")
        }
        saslExchange = exchange
        return Self.authenticateLines(response).map { .send($0, urgent: true) }
    }

    /// The AUTHENTICATE lines that carry `payload`.
    static func authenticateLines(_ payload: [UInt8]) -> [IRCMessage] {
        let encoded = Data(payload).base64EncodedString()
        guard !encoded.isEmpty else { return [IRCMessage("AUTHENTICATE", ["+"])] }
        var lines: [IRCMessage] = []
        var rest = Substring(encoded)
        while !rest.isEmpty {
            lines.append(IRCMessage("AUTHENTICATE", [String(rest.prefix(saslChunk))]))
            rest = rest.dropFirst(saslChunk)
        }
        if encoded.utf8.count % saslChunk == 0 { lines.append(IRCMessage("AUTHENTICATE", ["+"])) }
        return lines
    }

    mutating func finishSASL() -> [IRCClientAction] {
        guard case .authenticating = phase else { return [] }
        let proven = saslExchange?.isComplete ?? false
        saslExchange = nil
        guard proven else {
            account = nil
            return [.send(IRCMessage("AUTHENTICATE", ["*"]), urgent: true)]
                + saslFailed(reason: "the server reported success before proving itself; a forged reply, aborted")
        }
        saslSucceeded = true
        return endCapabilities()
    }

    mutating func saslFailed(_ message: IRCMessage) -> [IRCClientAction] {
        guard case .authenticating = phase else { return [] }
        let detail = switch message.command {
        case "902": "the account is unavailable (902: nick locked)"
        case "904": "the credentials were refused (904)"
        case "905": "the SASL message was too long (905)"
        case "906": "authentication was aborted (906)"
        default: "the server does not support \(configuration.sasl?.mechanism ?? "the mechanism") (908: \(message.parameters.dropFirst().first ?? ""))"
        }
        return saslFailed(reason: detail)
    }

    mutating func saslFailed(reason: String) -> [IRCClientAction] {
        saslExchange = nil
        switch configuration.onSASLFailure {
        case .abort:
            phase = .idle
            return [.disconnect(IRCDisconnect(reason: .saslFailed(reason), retry: true))]
        case .continue:
            return endCapabilities()
        }
    }
}

/// Builds the exchange for a set of credentials.
enum SASLExchanges {
    static func make(for credentials: SASLCredentials) -> any SASLExchange {
        switch credentials {
        case .plain(let account, let password): PlainExchange(account: account, password: password)
        case .external: ExternalExchange()
        case .scramSHA256(let account, let password): SCRAMExchange(account: account, password: password)
        }
    }
}
