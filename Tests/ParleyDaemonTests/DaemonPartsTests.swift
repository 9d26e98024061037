import Foundation
import Logging
import ParleyCore
@testable import ParleyDaemon
import ParleyHTTP
import ParleyStore
import Testing

@Suite struct DaemonPartsTests {
    static func config(
        nick: String = "p", channels: String = "[\"#a\"]", networks extra: String = "", backend: String = "{ type: echo }"
    ) throws -> ParleyConfiguration {
        try ConfigLoader.parse(
            """
            backends:
              main: \(backend)
            networks:
              irc: { type: irc, host: irc.example.org, nick: \(nick), channels: \(channels) }
            \(extra)
            defaults: { system_prompt: "Be kind." }

            """, file: "test.yaml", environment: [:])
    }

    static func parts() throws -> DaemonParts {
        DaemonParts(
            mode: .daemon, store: try SQLiteStore(path: ":memory:"), http: CurlHTTPClient(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), swiftPlugins: [], consoleIO: nil)
    }

    @Test func whatIsUnchangedIsKeptAndAChangedNetworkIsMadeAgain() throws {
        let parts = try Self.parts()
        let first = try parts.build(Self.config(), keeping: nil)
        let same = try parts.build(Self.config(), keeping: first.running)
        #expect(same.setup.restarted.isEmpty)
        #expect(same.running.networks["irc"]?.connector as AnyObject === first.running.networks["irc"]?.connector as AnyObject,
                "an unchanged network keeps its connection")

        let renamed = try parts.build(Self.config(nick: "q"), keeping: first.running)
        #expect(renamed.setup.restarted == ["irc"])
        #expect(renamed.running.networks["irc"]?.connector as AnyObject !== first.running.networks["irc"]?.connector as AnyObject)

        let more = try parts.build(
            Self.config(networks: "  other: { type: irc, host: irc.example.net, nick: p }"), keeping: first.running)
        #expect(more.setup.connectors.map(\.network).sorted() == ["irc", "other"])
        #expect(more.setup.restarted.isEmpty, "a network added is started, not restarted")
    }

    @Test func anIRCNetworkWhoseChannelsAloneChangedKeepsItsConnection() throws {
        let parts = try Self.parts()
        let first = try parts.build(Self.config(), keeping: nil)
        let moved = try parts.build(Self.config(channels: "[\"#a\", \"#b\"]"), keeping: first.running)
        #expect(moved.setup.restarted.isEmpty)
        #expect(moved.channelChanges.map { $0.channels.map(\.name) } == [["#a", "#b"]])
        #expect(moved.channelChanges.first?.connector === first.running.networks["irc"]?.connector as AnyObject)
        let both = try parts.build(Self.config(nick: "q", channels: "[\"#b\"]"), keeping: first.running)
        #expect(both.setup.restarted == ["irc"] && both.channelChanges.isEmpty, "with other settings changed, it reconnects")
    }

    @Test func aBackendThatCannotBeBuiltRefusesTheWholeReload() throws {
        let parts = try Self.parts()
        let first = try parts.build(Self.config(), keeping: nil)
        #expect(throws: (any Error).self) {
            try parts.build(Self.config(backend: "{ type: local, model: /nonexistent/model.gguf }"), keeping: first.running)
        }
    }

    @Test func settingsAReloadCannotChangeAreNamed() throws {
        let old = try Self.config()
        var new = old
        new.bot.name = "other"
        new.storage.path = "/elsewhere.sqlite"
        new.adminHTTP = AdminHTTPConfiguration(host: "127.0.0.1", port: 9464, token: nil)
        #expect(Reloader.restartNeeded(old, new) == ["storage.path", "bot.name", "admin_http"])
        #expect(Reloader.restartNeeded(old, old).isEmpty)
    }
}
