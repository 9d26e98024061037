import ParleyCore
import ParleyIRC

/// Reads an `irc` network from the config into the connector's configuration.
enum IRCNetworkReader {
    static let keys = [
        "type", "host", "port", "tls", "nick", "alternate_nicks", "user", "realname", "password", "password_file",
        "sasl", "nickserv_password", "nickserv_password_file", "channels", "flood", "reply_with",
        "max_lines_per_reply", "rejoin_after_kick", "join_on_invite", "formatting", "address_replies",
    ]

    static func read(name: NetworkID, _ node: ConfigNode) throws -> IRCConnectorConfiguration {
        let map = try node.mapping(keys: keys)
        let host = try map.required("host").nonEmptyString()
        let (tls, stsTLS) = try readTLS(map["tls"])
        let port = try map["port"]?.int(in: 1...65535) ?? (tls == nil ? 6667 : 6697)
        let nick = try map.required("nick").nonEmptyString()
        guard !nick.contains(where: { " ,*?!@:#\r\n".contains($0) }) else {
            throw try map.required("nick").invalid("'\(nick)' is not a valid IRC nick")
        }
        var session = IRCSessionConfiguration(
            nick: nick,
            alternateNicks: try map["alternate_nicks"]?.stringList(),
            user: try map["user"]?.nonEmptyString(),
            realName: try map["realname"]?.nonEmptyString() ?? "Parley chat bot",
            serverPassword: try map.secret("password"),
            nickServPassword: try map.secret("nickserv_password"),
            channels: try readChannels(map["channels"]))
        if let sasl = map["sasl"] {
            let saslMap = try sasl.mapping(keys: ["mechanism", "account", "password", "password_file", "on_failure"])
            let mechanism = try saslMap["mechanism"]?.choice([("plain", "plain"), ("external", "external"), ("scram-sha-256", "scram")]) ?? "plain"
            switch mechanism {
            case "external":
                guard tls?.clientCertificate != nil else {
                    throw sasl.invalid("SASL EXTERNAL needs a client certificate: set tls.client_cert (and tls.client_key)")
                }
                session.sasl = .external
            default:
                let account = try saslMap.required("account").nonEmptyString()
                guard let password = try saslMap.secret("password") else {
                    throw sasl.invalid("give the account's password as sasl.password (\"${ENV_VAR}\") or sasl.password_file")
                }
                session.sasl = mechanism == "plain" ? .plain(account: account, password: password) : .scramSHA256(account: account, password: password)
            }
            session.onSASLFailure = try saslMap["on_failure"]?.choice([("abort", .abort), ("continue", .continue)]) ?? .abort
        }
        if let value = try map["rejoin_after_kick"]?.bool() { session.rejoinAfterKick = value }
        if let value = try map["join_on_invite"]?.bool() { session.joinOnInvite = value }
        var flood = FloodControl()
        if let node = map["flood"] {
            let floodMap = try node.mapping(keys: ["burst", "interval_ms"])
            flood = FloodControl(
                burst: try floodMap["burst"]?.int(in: 1...100) ?? flood.burst,
                interval: .milliseconds(try floodMap["interval_ms"]?.int(in: 100...60_000) ?? 1200))
        }
        let cap = try map["max_lines_per_reply"]?.int(in: 0...1000) ?? 6
        return IRCConnectorConfiguration(
            network: name,
            endpoint: IRCEndpoint(host: host, port: port, tls: tls),
            session: session,
            flood: flood,
            replyStyle: try map["reply_with"]?.choice([("privmsg", .message), ("notice", .notice)]) ?? .message,
            maxLinesPerReply: cap == 0 ? nil : cap,
            keepFormatting: try map["formatting"]?.bool() ?? false,
            addressReplies: try map["address_replies"]?.bool() ?? true,
            stsTLS: stsTLS)
    }

    /// `tls: true` (the default), `tls: false`, or a mapping. Returns the connection's settings
    /// (nil for plaintext) and those an STS upgrade of a plaintext network uses: with
    /// `enabled: false` the mapping's CA, pin and client certificate apply only to that upgrade.
    private static func readTLS(_ node: ConfigNode?) throws -> (IRCEndpoint.TLSSettings?, IRCEndpoint.TLSSettings) {
        guard let node else { return (IRCEndpoint.TLSSettings(), IRCEndpoint.TLSSettings()) }
        if node.isScalar {
            guard let enabled = try? node.bool() else { throw node.wrongType("true, false, or a mapping of TLS settings") }
            return (enabled ? IRCEndpoint.TLSSettings() : nil, IRCEndpoint.TLSSettings())
        }
        let map = try node.mapping(keys: ["enabled", "verify", "ca_file", "pin_sha256", "client_cert", "client_key"])
        let enabled = try map["enabled"]?.bool() ?? true
        var settings = IRCEndpoint.TLSSettings()
        let verify = try map["verify"]?.bool() ?? true
        if let pin = try map["pin_sha256"]?.nonEmptyString() {
            let hex = pin.lowercased().filter(\.isHexDigit)
            guard hex.count == 64, pin.allSatisfy({ $0.isHexDigit || $0 == ":" }) else {
                throw map["pin_sha256"]!.invalid("a SHA-256 fingerprint is 64 hex digits (colons allowed)")
            }
            settings.verification = .pinnedSHA256(pin)
        } else if let ca = try map["ca_file"]?.nonEmptyString() {
            settings.verification = .caFile(ca)
        }
        if !verify {
            guard map["pin_sha256"] == nil, map["ca_file"] == nil else {
                throw map["verify"]!.invalid("verify: false contradicts ca_file / pin_sha256; remove one")
            }
            settings.verification = .none
        }
        settings.clientCertificate = try map["client_cert"]?.nonEmptyString()
        settings.clientKey = try map["client_key"]?.nonEmptyString()
        guard enabled else {
            if !verify {
                throw map["verify"]!.invalid("with enabled: false these settings serve only an STS upgrade, which is always verified; remove verify: false")
            }
            return (nil, settings)
        }
        return (settings, settings)
    }

    private static func readChannels(_ node: ConfigNode?) throws -> [IRCSessionConfiguration.Channel] {
        guard let node else { return [] }
        return try node.list().map { entry in
            if let name = try? entry.nonEmptyString() { return try channel(name, entry) }
            let map = try entry.mapping(keys: ["name", "key", "key_file"])
            var channel = try channel(try map.required("name").nonEmptyString(), map.required("name"))
            channel.key = try map.secret("key")
            return channel
        }
    }

    private static func channel(_ name: String, _ node: ConfigNode) throws -> IRCSessionConfiguration.Channel {
        guard let first = name.first, "#&!+".contains(first), !name.contains(where: { " ,\u{07}\r\n".contains($0) }) else {
            throw node.invalid("'\(name)' is not a channel name (it starts with # and has no spaces or commas)")
        }
        return IRCSessionConfiguration.Channel(name)
    }
}
