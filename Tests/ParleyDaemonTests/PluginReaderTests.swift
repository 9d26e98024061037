import Foundation
import ParleyCore
@testable import ParleyDaemon
import ParleyPlugins
import Testing

@Suite struct PluginReaderTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../plugins").standardized.path

    /// A plugin folder with `manifest` as its plugin.yaml.
    static func folder(_ manifest: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-plugin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try manifest.write(to: directory.appendingPathComponent("plugin.yaml"), atomically: true, encoding: .utf8)
        return directory.path
    }

    static func plugins(_ section: String, environment: [String: String] = [:]) throws -> [PluginConfiguration] {
        let text = "backends: { a: { type: echo } }\nnetworks: { console: { type: console } }\nplugins:\n\(section)\n"
        return try ConfigLoader.parse(text, file: "test.yaml", environment: environment).plugins
    }

    static let minimal = """
        name: demo
        protocol: 1
        run: [python3, demo.py]
        settings:
          token: { type: string, help: "the API token" }
          limit: { type: integer, default: 5 }
          loud: { type: boolean, default: false }
        """

    @Test func readsTheShippedFactoidsManifest() throws {
        let plugin = try #require(try Self.plugins("  factoids: { path: \"\(Self.shipped)/factoids\", timeout_ms: 500, on_failure: closed }").first)
        let manifest = plugin.manifest
        #expect(manifest.name == "factoids" && manifest.run == ["python3", "factoids.py"])
        #expect(manifest.commands.map(\.name) == ["fact"] && manifest.commands[0].aliases == ["facts"])
        #expect(manifest.hooks == [.inbound] && manifest.permissions.chatter && manifest.permissions.store)
        #expect(plugin.settings["max_length"] == .number(400) && plugin.settings["recall_prefix"] == .string("?"))
        #expect(plugin.timeout == .milliseconds(500) && plugin.onFailure == .closed)
    }

    @Test func readsTheShippedTopicManifest() throws {
        let plugin = try #require(try Self.plugins("  topic: { path: \"\(Self.shipped)/topic\" }").first)
        #expect(plugin.manifest.hooks == [.context] && plugin.manifest.commands.map(\.name) == ["topic"])
        #expect(plugin.settings["max_length"] == .number(300))
    }

    @Test func settingsAreTypedDefaultedAndMayComeFromAFile() throws {
        let folder = try Self.folder(Self.minimal)
        let secret = folder + "/token.txt"
        try "s3cret\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let plugin = try #require(try Self.plugins("  demo: { path: \"\(folder)\", settings: { token_file: \"\(secret)\", loud: true } }").first)
        #expect(plugin.settings == ["token": .string("s3cret"), "limit": .number(5), "loud": .bool(true)])
        let fromEnvironment = try Self.plugins("  demo: { path: \"\(folder)\", settings: { token: \"${TOKEN}\" } }", environment: ["TOKEN": "t"])
        #expect(fromEnvironment.first?.settings["token"] == .string("t"))
        #expect(try Self.plugins("  demo: { path: \"\(folder)\", enabled: false }").isEmpty)
    }

    @Test func mistakesSayWhereAndWhatWouldBeValid() throws {
        let folder = try Self.folder(Self.minimal)
        func error(_ section: String) -> String { errorText { try Self.plugins(section) } }
        #expect(error("  demo: { path: \"\(folder)\" }").contains("needs setting 'token' (string): the API token"))
        #expect(error("  demo: { path: \"\(folder)\", settings: { token: t, limit: many } }").contains("settings.limit"))
        #expect(error("  demo: { path: \"\(folder)\", settings: { token: t, colour: red } }").contains("Valid keys here: token, limit, loud, token_file"))
        #expect(error("  demo: { path: \"\(folder)\", on_failure: maybe, settings: { token: t } }").contains("plugins.demo.on_failure"))
        #expect(error("  Demo: {}").contains("'Demo' is not a plugin name"))
        #expect(error("  missing: {}").contains("cannot read plugins/missing/plugin.yaml"))
        #expect(error("  other: { path: \"\(folder)\" }").contains("the manifest names the plugin 'demo', but the config enables it as 'other'"))
    }

    @Test func aManifestsOwnMistakesNameItsFileAndLine() throws {
        let future = try Self.folder("name: demo\nprotocol: 2\nrun: [x]\n")
        let futureError = errorText { try Self.plugins("  demo: { path: \"\(future)\" }") }
        #expect(futureError.contains("\(future)/plugin.yaml:2") && futureError.contains("speaks protocol 2; this Parley speaks 1"))
        let typo = try Self.folder("name: demo\nprotocol: 1\nrun: [x]\nhooks: [inbound, outbund]\n")
        let typoError = errorText { try Self.plugins("  demo: { path: \"\(typo)\" }") }
        #expect(typoError.contains("\(typo)/plugin.yaml:4") && typoError.contains("inbound"))
        let events = try Self.folder("name: demo\nprotocol: 1\nrun: [x]\nevents: [message, reply_sent]\n")
        #expect(try Self.plugins("  demo: { path: \"\(events)\" }").first?.manifest.events == [.message, .reply])
        let badEvent = try Self.folder("name: demo\nprotocol: 1\nrun: [x]\nevents: [messages]\n")
        let badEventError = errorText { try Self.plugins("  demo: { path: \"\(badEvent)\" }") }
        #expect(badEventError.contains("\(badEvent)/plugin.yaml:4") && badEventError.contains("reply_sent"))
        let badCommand = try Self.folder("name: demo\nprotocol: 1\nrun: [x]\ncommands:\n  - { name: \"two words\", help: h }\n")
        #expect(errorText { try Self.plugins("  demo: { path: \"\(badCommand)\" }") }.contains("is not a command word"))
    }

    @Test func channelRulesChooseWhichPluginsWorkThere() throws {
        let text = """
            backends: { a: { type: echo } }
            networks: { console: { type: console } }
            plugins:
              factoids: { path: "\(Self.shipped)/factoids" }
              topic: { path: "\(Self.shipped)/topic" }
            channels:
              - { match: { channel: "#a" }, plugins: [factoids] }
              - { match: { channel: "#b" }, plugins: { except: [topic] } }
              - { match: { channel: "#c" }, plugins: none }
            """
        let rules = try ConfigLoader.parse(text, file: "test.yaml", environment: [:]).policies.rules.map(\.policy.plugins)
        #expect(rules == [.only(["factoids"]), .except(["topic"]), .only([])])
        let typo = text.replacingOccurrences(of: "plugins: [factoids]", with: "plugins: [factiods]")
        #expect(errorText { try ConfigLoader.parse(typo, file: "test.yaml", environment: [:]) }
            .contains("'factiods' is not an enabled plugin (enabled: factoids, topic)"))
    }
}
