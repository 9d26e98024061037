import ParleyCore
import ParleyIRC

/// Reads an `irc` network from the config into the connector's configuration.
enum IRCNetworkReader {
    static let keys = [
        "type", "host", "port", "tls", "nick", "alternate_nicks", "user", "realname", "password", "password_file",
        "sasl", "nickserv_password", "nickserv_password_file", "channels", "flood", "reply_with",
        "max_lines_per_reply", "rejoin_after_kick", "join_on_invite", "formatting", "address_replies", "markdown", "ctcp_source",
        "reconnect_delay_s", "max_reconnect_delay_s", "ping_interval_s", "ping_timeout_s",
    ]

    static func read(name: NetworkID, _ node: ConfigNode) throws -> IRCConnectorConfiguration {
        let map = try node.mapping(keys: keys)
        let host = try map.required("host").nonEmptyString()
        guard host.utf8.count <= 253, host.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-:_".unicodeScalars.contains($0)) }) else {
            throw try map.required("host").invalid("'\(host)' is not a host name or IP address (letters, digits, '.', '-', ':'; no spaces)")
        }
        let (tls, stsTLS) = try readTLS(map["tls"])
        let port = try map["port"]?.int(in: 1...65535) ?? (tls == nil ? 6667 : 6697)
        let nickNode = try map.required("nick")
        let nick = try nickNode.nonEmptyString()
        try checkNick(nick, nickNode)
        let user = try map["user"]?.nonEmptyString()
        if let user, let userNode = map["user"] {
            guard user.utf8.count <= 64, !user.unicodeScalars.contains(where: { $0 == " " || $0 == "@" || isControl($0) }) else {
                throw userNode.invalid("the user name is one word of at most 64 bytes, without spaces, '@' or control characters")
            }
        }
        let realName = try map["realname"]?.nonEmptyString() ?? "Parley chat bot"
        if let node = map["realname"] { try checkLineText(realName, node, what: "the real name") }
        let serverPassword = try map.secret("password")
        try checkSecret(serverPassword, map, "password", what: "the server password")
        let nickServPassword = try map.secret("nickserv_password")
        try checkSecret(nickServPassword, map, "nickserv_password", what: "the NickServ password")
        var session = IRCSessionConfiguration(
            nick: nick,
            alternateNicks: try map["alternate_nicks"].map { node in
                let nicks = try node.stringList()
                for nick in nicks { try checkNick(nick, node) }
                return nicks
            },
            user: user,
            realName: realName,
            serverPassword: serverPassword,
            nickServPassword: nickServPassword,
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
                try checkSecret(password, saslMap, "password", what: "the SASL password")
                session.sasl = mechanism == "plain" ? .plain(account: account, password: password) : .scramSHA256(account: account, password: password)
            }
            session.onSASLFailure = try saslMap["on_failure"]?.choice([("abort", .abort), ("continue", .continue)]) ?? .abort
        }
        if let value = try map["rejoin_after_kick"]?.bool() { session.rejoinAfterKick = value }
        if let value = try map["join_on_invite"]?.bool() { session.joinOnInvite = value }
        if let source = map["ctcp_source"] {
            let text = try source.nonEmptyString()
            guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw source.invalid("the CTCP SOURCE answer holds a control character, which would break its framing")
            }
            session.sourceReply = text
        }
        var flood = FloodControl()
        if let node = map["flood"] {
            if node.isScalar {
                // `flood: off`, for a network that exempts the bot; the connector warns at connect.
                flood = try node.choice([("off", FloodControl.off)])
            } else {
                // Faster than the defaults only where the network exempts the bot (an oper's
                // flood exemption): a server disconnects a client that floods.
                let floodMap = try node.mapping(keys: ["burst", "interval_ms"])
                flood = FloodControl(
                    burst: try floodMap["burst"]?.int(in: 1...100_000) ?? flood.burst,
                    interval: .milliseconds(try floodMap["interval_ms"]?.int(in: 1...60_000) ?? 1200))
            }
        }
        let cap = try map["max_lines_per_reply"]?.int(in: 0...1000) ?? 6
        var configuration = IRCConnectorConfiguration(
            network: name,
            endpoint: IRCEndpoint(host: host, port: port, tls: tls),
            session: session,
            flood: flood,
            replyStyle: try map["reply_with"]?.choice([("privmsg", .message), ("notice", .notice)]) ?? .message,
            maxLinesPerReply: cap == 0 ? nil : cap,
            keepFormatting: try map["formatting"]?.bool() ?? false,
            addressReplies: try map["address_replies"]?.bool() ?? true,
            stsTLS: stsTLS)
        if let mode = map["markdown"] { configuration.markdown = try markdownMode(mode) }
        configuration.channelMarkdown = try readChannelMarkdown(map["channels"])
        // How soon a dead path is noticed: a PING after this long silent, given up after this long unanswered.
        if let interval = try map["ping_interval_s"]?.int(in: 5...3600) { configuration.session.pingInterval = .seconds(interval) }
        if let timeout = try map["ping_timeout_s"]?.int(in: 5...3600) { configuration.session.pingTimeout = .seconds(timeout) }
        if let delay = try map["reconnect_delay_s"]?.int(in: 1...3600) { configuration.reconnectDelay = .seconds(delay) }
        if let cap = try map["max_reconnect_delay_s"]?.int(in: 1...86_400) { configuration.maxReconnectDelay = .seconds(cap) }
        guard configuration.maxReconnectDelay >= configuration.reconnectDelay else {
            throw node.invalid("max_reconnect_delay_s is shorter than reconnect_delay_s; make it at least as long")
        }
        return configuration
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
            let map = try entry.mapping(keys: ["name", "key", "key_file", "markdown"])
            var channel = try channel(try map.required("name").nonEmptyString(), map.required("name"))
            channel.key = try map.secret("key")
            if let key = channel.key, let node = map["key"] ?? map["key_file"],
               key.value.unicodeScalars.contains(where: { $0 == " " || $0 == "," || isControl($0) }) {
                throw node.invalid("a channel key has no spaces, commas or control characters")
            }
            return channel
        }
    }

    /// The channels whose `markdown` differs from the network's.
    private static func readChannelMarkdown(_ node: ConfigNode?) throws -> [String: IRCMarkdown] {
        var modes: [String: IRCMarkdown] = [:]
        for entry in try node?.list() ?? [] where !entry.isScalar {
            let map = try entry.mapping(keys: ["name", "key", "key_file", "markdown"])
            guard let mode = map["markdown"] else { continue }
            modes[try map.required("name").nonEmptyString()] = try markdownMode(mode)
        }
        return modes
    }

    static func markdownMode(_ node: ConfigNode) throws -> IRCMarkdown {
        try node.choice(IRCMarkdown.allCases.map { ($0.rawValue, $0) })
    }

    private static func channel(_ name: String, _ node: ConfigNode) throws -> IRCSessionConfiguration.Channel {
        guard let first = name.first, "#&!+".contains(first), !name.contains(where: { " ,\u{07}\r\n".contains($0) }) else {
            throw node.invalid("'\(name)' is not a channel name (it starts with # and has no spaces or commas)")
        }
        return IRCSessionConfiguration.Channel(name)
    }

    /// RFC 2812 and every server since: no spaces, no `,*?!@:#.`, no control characters, not
    /// starting with a digit or '-', and short enough for a server to take (NICKLEN is 9 to 50
    /// in practice; 64 bytes is past any of them).
    static func checkNick(_ nick: String, _ node: ConfigNode) throws {
        let forbidden = " ,*?!@:#.".unicodeScalars
        guard nick.utf8.count <= 64, let first = nick.unicodeScalars.first, !("0"..."9").contains(first), first != "-",
              !nick.unicodeScalars.contains(where: { forbidden.contains($0) || isControl($0) }) else {
            let shown = String(String.UnicodeScalarView(nick.unicodeScalars.prefix(40).map { isControl($0) ? "?" : $0 }))
            throw node.invalid(
                "'\(shown)\(nick.unicodeScalars.count > 40 ? "…" : "")' is not a valid IRC nick: at most 64 bytes, not starting with a digit or '-', without spaces, control characters or any of , * ? ! @ : # .")
        }
    }

    /// Text sent as part of one IRC line: CR, LF and NUL would end or corrupt it.
    static func checkLineText(_ text: String, _ node: ConfigNode, what: String) throws {
        guard !text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
            throw node.invalid("\(what) holds a line break (CR or LF) or NUL, which cannot be sent on IRC")
        }
    }

    /// A secret sent on an IRC line, checked without ever showing it.
    static func checkSecret(_ secret: Secret?, _ map: ConfigMapping, _ key: String, what: String) throws {
        guard let secret, let node = map[key] ?? map[key + "_file"] else { return }
        try checkLineText(secret.value, node, what: what)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control
    }
}
