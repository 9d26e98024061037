import Foundation
import Logging
import ParleyCore
@testable import ParleyPlugins
import ParleyTesting
import Testing

/// The plugins in `plugins/`, as they ship, inside a whole bot.
@Suite struct ShippedPluginsTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../plugins").standardized.path

    @Test func theTopicPluginPutsTheChannelsTopicIntoThePrompt() async throws {
        let manifest = PluginManifest(
            name: "topic", version: "1.0.0", description: "", run: ["python3", "topic.py"], directory: Self.folder + "/topic",
            commands: [.init(name: "topic", help: "")], hooks: [.context], permissions: .init(store: true))
        let host = PluginHost(
            configuration: PluginConfiguration(manifest: manifest, settings: ["max_length": .number(300)]),
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }), store: MemoryPluginStore(), clock: TestClock())
        let running = Task { await host.runUntilCancelled() }
        try await host.waitUntilReady()
        let backend = ScriptedBackend(replying: "Quack.")
        let tester = BotTester(
            policy: ChannelPolicy(systemPrompt: "You are Parley.", backend: backend.name), backends: [backend],
            plugins: [ProcessPlugin(host: host)])
        #expect(try await tester.reply(to: "!topic set ducks and their habits") == "Topic set.")
        #expect(try await tester.reply(to: "!topic") == "Topic: ducks and their habits")
        #expect(try await tester.reply(to: "parley: what is this place?") == "Quack.")
        #expect(backend.requests.last?.messages.first?.content == "You are Parley.\n\nThis channel is about: ducks and their habits")
        _ = try await tester.reply(to: "!topic set other things", in: "#elsewhere")
        _ = try await tester.reply(to: "parley: and here?", in: "#elsewhere")
        #expect(backend.requests.last?.messages.first?.content == "You are Parley.\n\nThis channel is about: other things")
        await tester.stop()
        running.cancel()
        await running.value
    }

    static func remindHost(store: MemoryPluginStore, clock: TestClock) -> PluginHost {
        let manifest = PluginManifest(
            name: "remind", version: "1.0.0", description: "", run: ["python3", "remind.py"], directory: Self.folder + "/remind",
            commands: [.init(name: "remind", help: "")], permissions: .init(store: true, send: true))
        return PluginHost(
            configuration: PluginConfiguration(manifest: manifest, settings: ["timezone": .string("UTC"), "max_per_person": .number(20)]),
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }), store: store, clock: clock)
    }

    @Test func theRemindPluginSpeaksWhenItIsDueEvenAfterARestart() async throws {
        let store = MemoryPluginStore()
        let backend = ScriptedBackend(replying: "ok")
        let clock = TestClock()
        let first = Self.remindHost(store: store, clock: clock)
        let tester = BotTester(backends: [backend], plugins: [ProcessPlugin(host: first)])
        await first.connect { [bot = tester.bot] text, channel in await bot.announce(text, in: channel) }
        var running = Task { await first.runUntilCancelled() }
        try await first.waitUntilReady()
        let set = try await tester.reply(to: "!remind in 10m stretch your legs")
        #expect(set == "OK, in 10 minutes.")
        #expect(try await tester.reply(to: "!remind list").hasSuffix(": stretch your legs"))
        _ = try await eventually("the reminder's timer") { clock.sleepers > 0 ? true : nil }
        clock.advance(by: .seconds(601))
        let said = try await tester.sentMessages(atLeast: 3)
        #expect(said[2].text == "alice: reminder: stretch your legs" && said[2].channel.channel == BotTester.channel)
        #expect(said[2].replyTo == nil, "said unprompted, answering no message")

        // Set, then the plugin restarts: the new process finds it in the store and sets it again.
        #expect(try await tester.reply(to: "!remind in 5m drink water") == "OK, in 5 minutes.")
        running.cancel()
        await running.value
        let secondClock = TestClock()
        let second = Self.remindHost(store: store, clock: secondClock)
        await second.connect { [bot = tester.bot] text, channel in await bot.announce(text, in: channel) }
        running = Task { await second.runUntilCancelled() }
        try await second.waitUntilReady()
        _ = try await eventually("the re-armed timer") { secondClock.sleepers > 0 ? true : nil }
        secondClock.advance(by: .seconds(301))
        let later = try await tester.sentMessages(atLeast: 5)
        #expect(later[4].text == "alice: reminder: drink water")
        await tester.stop()
        running.cancel()
        await running.value
    }

    @Test func forgetMeRemovesTheSendersReminders() async throws {
        let store = MemoryPluginStore()
        let clock = TestClock()
        let host = Self.remindHost(store: store, clock: clock)
        let tester = BotTester(backends: [ScriptedBackend(replying: "ok")], plugins: [ProcessPlugin(host: host)])
        let running = Task { await host.runUntilCancelled() }
        try await host.waitUntilReady()
        let bob = Sender(id: "bob", displayName: "bob", account: "bob")
        _ = try await tester.reply(to: "!remind in 1h call the bank")
        _ = try await tester.reply(to: "!remind in 2h water plants", from: bob)
        _ = try await tester.reply(to: "!forget me")
        #expect(try await tester.reply(to: "!remind list") == "You have no reminders.")
        #expect(try await tester.reply(to: "!remind list", from: bob).hasSuffix(": water plants"))
        await tester.stop()
        running.cancel()
        await running.value
    }

    // The Swift plugin: plugins/moderation/run.sh starts the parley-moderation built beside
    // this test binary (PARLEY_BIN_DIR).
    @Test func theModerationPluginStopsWhatMatchesAsEachChannelSays() async throws {
        var configuration = PluginConfiguration(
            manifest: PluginManifest(
                name: "moderation", version: "1.0.0", description: "", run: ["sh", "run.sh"], directory: Self.folder + "/moderation",
                hooks: [.inbound], permissions: .init(chatter: true)))
        configuration.settings = [
            "patterns": .array([.string("\\bfo+bar\\b")]), "action": .string("drop"),
            "channel_actions": .array([.string("#help=respond")]), "message": .string("Not here, please."),
            "reason": .string("house rules"),
        ]
        let host = PluginHost(configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }), clock: TestClock())
        let running = Task { await host.runUntilCancelled() }
        try await host.waitUntilReady()
        let tester = BotTester(backends: [ScriptedBackend(replying: "model answer")], plugins: [ProcessPlugin(host: host)])
        tester.say("parley: say FOOOOBAR")
        #expect(try await tester.reply(to: "parley: and this?") == "model answer")
        #expect(tester.connector.sent.count == 1, "the match was dropped in #test")
        #expect(try await tester.reply(to: "parley: foobar", in: "#help") == "Not here, please.")
        await tester.stop()
        running.cancel()
        await running.value
    }
}
