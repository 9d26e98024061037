import Foundation
@testable import ParleyIRC
import ParleyCore
import ParleyTesting
import Logging
import Synchronization

/// The IRC network `scripts/irc-test-server start` runs for these tests (its settings in
/// `.build-irc/env`). A missing network fails the tests: it is never a skip.
struct TestNetwork {
    let host: String
    let tlsPort: Int
    let plainPort: Int
    /// Ports that advertise an STS policy: plaintext (`sts=port=…`) and TLS (`sts=duration=…`).
    let stsPlainPort: Int
    let stsTLSPort: Int
    let caFile: String
    let clientCertificate: String
    let clientKey: String
    let botAccount: String
    let botPassword: String
    let humanAccount: String
    let humanPassword: String
    let repository: URL

    struct Missing: Error, CustomStringConvertible {
        var description: String { "no IRC test network: run `scripts/irc-test-server start` (scripts/test does)" }
    }

    static func load() throws -> TestNetwork {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard let env = EnvFile(repository.appendingPathComponent(".build-irc/env")) else { throw Missing() }
        func value(_ key: String) throws -> String { try env.value(key, or: Missing()) }
        return TestNetwork(
            host: try value("PARLEY_IRC_HOST"), tlsPort: Int(try value("PARLEY_IRC_TLS_PORT"))!,
            plainPort: Int(try value("PARLEY_IRC_PLAIN_PORT"))!,
            stsPlainPort: Int(try value("PARLEY_IRC_STS_PLAIN_PORT"))!, stsTLSPort: Int(try value("PARLEY_IRC_STS_TLS_PORT"))!,
            caFile: try value("PARLEY_IRC_CA"),
            clientCertificate: try value("PARLEY_IRC_CLIENT_CERT"), clientKey: try value("PARLEY_IRC_CLIENT_KEY"),
            botAccount: try value("PARLEY_IRC_BOT_ACCOUNT"), botPassword: try value("PARLEY_IRC_BOT_PASSWORD"),
            humanAccount: try value("PARLEY_IRC_HUMAN_ACCOUNT"), humanPassword: try value("PARLEY_IRC_HUMAN_PASSWORD"),
            repository: repository)
    }

    var verifiedEndpoint: IRCEndpoint {
        IRCEndpoint(host: "localhost", port: tlsPort, tls: .init(verification: .caFile(caFile)), connectTimeout: .seconds(5))
    }

    /// The config lines of a network named `irc` for a bot `nick` in `channel`, signed in with the
    /// bot account over verified TLS; `extra` is more keys, indented as the others.
    func botNetworkYAML(nick: String, channel: String, extra: String = "") -> String {
        """
          irc:
            type: irc
            host: localhost
            port: \(tlsPort)
            tls: { ca_file: \(caFile) }
            nick: \(nick)
            sasl: { mechanism: plain, account: \(botAccount), password: "\(botPassword)" }
            channels: ["\(channel)"]
        \(extra)
        """
    }

    /// A fresh name, so that tests sharing the network never see each other.
    static func unique(_ prefix: String) -> String {
        prefix + String(UInt32.random(in: 0..<UInt32.max), radix: 36)
    }

    /// Kills the IRC server and starts it again (services relink by themselves).
    func restartServer() throws {
        try ChildProcess.run(["/bin/bash", repository.appendingPathComponent("scripts/irc-test-server").path, "restart-ircd"])
    }
}
