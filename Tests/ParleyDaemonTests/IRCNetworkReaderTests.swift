import Foundation
import ParleyCore
@testable import ParleyDaemon
import ParleyIRC
import Testing

@Suite struct IRCNetworkReaderTests {
    static let base = """
        backends:
          main: { type: echo }
        networks:
          libera:
            type: irc
            host: irc.libera.chat
            nick: parley

        """

    func parse(_ text: String, environment: [String: String] = [:]) throws -> IRCConnectorConfiguration {
        guard case .irc(let configuration) = try firstNetwork(of: text, environment: environment) else { throw UnexpectedNetworkKind() }
        return configuration
    }

    func error(_ text: String, environment: [String: String] = [:]) -> String {
        errorText { try parse(text, environment: environment) }
    }

    @Test func tlsWithVerificationIsTheDefault() throws {
        let irc = try parse(Self.base)
        #expect(irc.endpoint == IRCEndpoint(host: "irc.libera.chat", port: 6697, tls: .init(verification: .system)))
        #expect(irc.session.nick == "parley" && irc.session.sasl == nil && irc.maxLinesPerReply == 6)
    }

    @Test func readsEverySetting() throws {
        let text = Self.base + """
                port: 7000
                tls: { ca_file: /etc/ssl/irc-ca.pem, client_cert: /etc/parley/cert.pem, client_key: /etc/parley/key.pem }
                alternate_nicks: [parley2]
                sasl: { mechanism: scram-sha-256, account: parleybot, password: "${IRC_PASSWORD}", on_failure: continue }
                channels: ["#parley", { name: "#staff", key: "${STAFF_KEY}" }]
                flood: { burst: 3, interval_ms: 2000 }
                reply_with: notice
                max_lines_per_reply: 0
                join_on_invite: true
            """
        let irc = try parse(text, environment: ["IRC_PASSWORD": "s3cret", "STAFF_KEY": "k"])
        #expect(irc.endpoint.port == 7000)
        #expect(irc.endpoint.tls == .init(verification: .caFile("/etc/ssl/irc-ca.pem"), clientCertificate: "/etc/parley/cert.pem", clientKey: "/etc/parley/key.pem"))
        #expect(irc.session.sasl == .scramSHA256(account: "parleybot", password: Secret("s3cret")))
        #expect(irc.session.onSASLFailure == .continue && irc.session.joinOnInvite)
        #expect(irc.session.alternateNicks == ["parley2"])
        #expect(irc.session.channels == [.init("#parley"), .init("#staff", key: Secret("k"))])
        #expect(irc.flood == FloodControl(burst: 3, interval: .seconds(2)))
        #expect(irc.replyStyle == .notice && irc.maxLinesPerReply == nil)
    }

    // Issue 20: flood control off, or faster than the defaults, for a network that exempts the bot.
    @Test func floodControlMayBeOffOrFaster() throws {
        #expect(try parse(Self.base + "    flood: off\n").flood.isOff)
        #expect(try parse(Self.base + "    flood: { burst: 5000, interval_ms: 1 }\n").flood == FloodControl(burst: 5000, interval: .milliseconds(1)))
        #expect(error(Self.base + "    flood: sometimes\n").contains("off"))
        #expect(error(Self.base + "    flood: { interval_ms: 0 }\n").contains("interval_ms"))
    }

    // Issue 17: Markdown per network and per channel; the CTCP SOURCE answer.
    @Test func markdownModesAndTheSourceAnswerAreRead() throws {
        #expect(try parse(Self.base).markdown == .format)
        let irc = try parse(Self.base
            + "    markdown: strip\n    channels: [\"#a\", { name: \"#code\", markdown: keep }]\n    ctcp_source: https://example.org/parley\n")
        #expect(irc.markdown == .strip && irc.channelMarkdown == ["#code": .keep])
        #expect(irc.session.sourceReply == "https://example.org/parley")
        #expect(error(Self.base + "    markdown: html\n").contains("format"))
        #expect(error(Self.base + "    ctcp_source: \"a\\x01b\"\n").contains("control character"))
    }

    @Test func plaintextAndUnverifiedTLSAreExplicit() throws {
        #expect(try parse(Self.base + "    tls: false\n").endpoint.tls == nil)
        #expect(try parse(Self.base + "    tls: false\n").endpoint.port == 6667)
        #expect(try parse(Self.base + "    tls: { verify: false }\n").endpoint.tls?.verification == IRCEndpoint.TLSSettings.Verification.none)
    }

    @Test func mistakesAreClearErrors() {
        #expect(error(Self.base + "    chanels: [\"#a\"]\n").contains("did you mean 'channels'?"))
        #expect(error(Self.base + "    channels: [\"parley\"]\n").contains("is not a channel name"))
        #expect(error(Self.base + "    tls: { pin_sha256: abc }\n").contains("64 hex digits"))
        #expect(error(Self.base + "    sasl: { mechanism: external }\n").contains("needs a client certificate"))
        #expect(error(Self.base + "    sasl: { account: parley }\n").contains("sasl.password"))
        #expect(error(Self.base + "    sasl: { mechanism: plane, account: a, password: b }\n").contains("did you mean 'plain'?"))
        #expect(error(Self.base + "    tls: { verify: false, ca_file: x }\n").contains("contradicts"))
        // An IRC key on a console network is refused.
        #expect(error("backends:\n  main: { type: echo }\nnetworks:\n  c: { type: console, host: x }\n").contains("unknown key"))
    }

    // Issue 19, item 11: what the server would never accept, refused at config check.
    @Test(arguments: [
        ("nick: " + String(repeating: "n", count: 600), "networks.libera.nick", "is not a valid IRC nick"),
        ("nick: \"par\\x01ley\"", "networks.libera.nick", "is not a valid IRC nick"),
        ("nick: 9lives", "networks.libera.nick", "is not a valid IRC nick"),
        ("user: \"x y\"", "networks.libera.user", "the user name is one word"),
        ("realname: \"a\\r\\nQUIT\"", "networks.libera.realname", "holds a line break"),
        ("password: \"a\\nb\"", "networks.libera.password", "holds a line break"),
        ("channels: [{ name: \"#c\", key: \"a\\rb\" }]", "networks.libera.channels.[0].key", "a channel key has no spaces"),
        ("channels: [{ name: \"#c\", key: \"a b\" }]", "networks.libera.channels.[0].key", "a channel key has no spaces"),
        ("host: \"irc.example .org\"", "networks.libera.host", "is not a host name or IP address"),
        ("tls: maybe", "networks.libera.tls", "expected true, false, or a mapping of TLS settings"),
    ])
    func valuesTheServerWouldRefuseAreRefusedHere(line: String, path: String, message: String) {
        // The line replaces the base's own line for the same key, if it has one.
        let key = String(line.prefix { $0 != ":" })
        let base = Self.base.split(separator: "\n").filter { !$0.hasPrefix("    \(key):") }.joined(separator: "\n")
        let text = base + "\n    " + line + "\n"
        let description = error(text)
        #expect(description.contains("\(path): ") && description.contains(message), "\(description)")
        #expect(!description.contains("QUIT") || line.hasPrefix("nick"))
    }

    // Issue 19, item 5: a plaintext network's TLS settings serve an STS upgrade.
    @Test func tlsSettingsForAnSTSUpgradeOfAPlaintextNetwork() throws {
        let irc = try parse(Self.base + "    tls: { enabled: false, ca_file: /etc/parley/ca.pem }\n")
        #expect(irc.endpoint.tls == nil && irc.endpoint.port == 6667)
        #expect(irc.stsTLS == .init(verification: .caFile("/etc/parley/ca.pem")))
        #expect(error(Self.base + "    tls: { enabled: false, verify: false }\n").contains("an STS upgrade, which is always verified"))
    }
}

extension IRCNetworkReaderTests {
    @Test func reconnectDelaysAreReadAndCheckedAgainstEachOther() throws {
        let base = """
            backends: { main: { type: echo } }
            networks:
              net: { type: irc, host: irc.example.org, nick: p, %@ }

            """
        guard case .irc(let irc) = try firstNetwork(of: base.replacingOccurrences(of: "%@", with: "reconnect_delay_s: 3, max_reconnect_delay_s: 30"), environment: [:]) else {
            throw UnexpectedNetworkKind()
        }
        #expect(irc.reconnectDelay == .seconds(3) && irc.maxReconnectDelay == .seconds(30))
        #expect(errorText { try firstNetwork(of: base.replacingOccurrences(of: "%@", with: "reconnect_delay_s: 30, max_reconnect_delay_s: 3"), environment: [:]) }
            .contains("max_reconnect_delay_s is shorter than reconnect_delay_s"))
    }

    @Test func pingTimingIsReadWithinItsBounds() throws {
        let base = """
            backends: { main: { type: echo } }
            networks:
              net: { type: irc, host: irc.example.org, nick: p, %@ }

            """
        guard case .irc(let irc) = try firstNetwork(of: base.replacingOccurrences(of: "%@", with: "ping_interval_s: 20, ping_timeout_s: 15"), environment: [:]) else {
            throw UnexpectedNetworkKind()
        }
        #expect(irc.session.pingInterval == .seconds(20) && irc.session.pingTimeout == .seconds(15))
        guard case .irc(let defaults) = try firstNetwork(of: base.replacingOccurrences(of: "%@", with: "port: 6697"), environment: [:]) else {
            throw UnexpectedNetworkKind()
        }
        #expect(defaults.session.pingInterval == .seconds(90) && defaults.session.pingTimeout == .seconds(60))
        #expect(errorText { try firstNetwork(of: base.replacingOccurrences(of: "%@", with: "ping_timeout_s: 1"), environment: [:]) }
            .contains("ping_timeout_s"))
    }
}
