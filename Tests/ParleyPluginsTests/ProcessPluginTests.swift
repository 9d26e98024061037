import Foundation
import Logging
import ParleyCore
@testable import ParleyPlugins
import ParleyTesting
import Testing

/// A plugin process inside a whole bot: its commands and review hook as the core runs them,
/// what it is sent, and what the outbox does to what it says.
@Suite struct ProcessPluginTests {
    struct Harness {
        let tester: BotTester
        let host: PluginHost
        let log: CapturedLog
        let task: Task<Void, Never>

        init(
            chatter: Bool = false, onFailure: PluginConfiguration.FailureMode = .open, timeout: Duration = .seconds(2),
            modelSays: String = "model answer", hooks: Set<PluginManifest.Hook> = [.inbound, .outbound]
        ) async throws {
            log = CapturedLog()
            host = PluginHost(
                configuration: PluginConfiguration(
                    manifest: PluginHostTests.manifest(store: true, chatter: chatter, hooks: hooks), timeout: timeout, onFailure: onFailure),
                logger: log.logger, store: MemoryPluginStore(), clock: TestClock())
            let host = host
            task = Task { await host.runUntilCancelled() }
            try await host.waitUntilReady()
            tester = BotTester(
                configuration: BotConfiguration(roles: RoleList([RoleList.Entry(network: "test", account: "root")])),
                policy: ChannelPolicy(backend: "scripted"), backends: [ScriptedBackend(replying: modelSays)],
                plugins: [ProcessPlugin(host: host), PluginAdministration(hosts: [host])])
        }

        func stop() async {
            await tester.stop()
            task.cancel()
            await task.value
        }
    }

    @Test func aPluginCommandAnswersThroughTheBot() async throws {
        let harness = try await Harness()
        #expect(try await harness.tester.reply(to: "!try hello") == "echo hello (call 1)")
        let help = try await harness.tester.reply(to: "!help")
        #expect(help.contains("!try"))
        await harness.stop()
    }

    @Test func whatAPluginSaysIsSanitisedByTheOutbox() async throws {
        let harness = try await Harness()
        let injected = try await harness.tester.reply(to: "!try inject")
        #expect(!injected.contains("\r") && !injected.contains("\u{0}"))
        harness.tester.connector.setMembers(["ann", "bob", "cat", "dan", "eve"], of: ChannelKey(network: "test", channel: BotTester.channel))
        let highlight = try await harness.tester.reply(to: "!try highlight")
        #expect(highlight != "ping ann bob cat dan eve" && highlight.contains("ann bob cat"), "beyond three names defused: \(highlight)")
        await harness.stop()
    }

    @Test func aPluginWithoutTheChatterPermissionIsNeverSentChatter() async throws {
        let harness = try await Harness(chatter: false)
        harness.tester.say("just chatting among ourselves")
        _ = try await harness.tester.reply(to: "parley: hello there")
        try await harness.tester.settle()
        #expect(harness.log.contains("review: parley: hello there"))
        #expect(!harness.log.contains("just chatting"))
        await harness.stop()
    }

    @Test func withTheChatterPermissionItReviewsEveryLine() async throws {
        let harness = try await Harness(chatter: true)
        harness.tester.say("just chatting among ourselves")
        _ = try await harness.tester.reply(to: "parley: hello there")
        _ = try await eventually("the chatter reviewed") { harness.log.contains("review: just chatting") ? true : nil }
        await harness.stop()
    }

    @Test func aReviewHookDropsWhatItForbids() async throws {
        let harness = try await Harness()
        harness.tester.say("parley: say the forbidden word")
        #expect(try await harness.tester.reply(to: "parley: and now?") == "model answer")
        #expect(harness.tester.connector.sent.count == 1, "the forbidden message got no answer")
        await harness.stop()
    }

    @Test func aPluginThatCrashesMidCallLeavesTheBotAnsweringTheNextMessage() async throws {
        let harness = try await Harness()
        let failure = try await harness.tester.reply(to: "!try exit")
        #expect(failure == "Sorry, the misbehaving plugin is not working right now.")
        // The review hook fails open while the plugin restarts: the bot answers at once.
        #expect(try await harness.tester.reply(to: "parley: still there?") == "model answer")
        await harness.stop()
    }

    @Test func closedFailureDropsWhatThePluginCannotReview() async throws {
        // Inbound only: with an outbound hook too, closed would also hold back the bot's own
        // "not working" sentence while the plugin is down.
        let harness = try await Harness(onFailure: .closed, hooks: [.inbound])
        _ = try await harness.tester.reply(to: "!try exit")
        harness.tester.say("parley: unreviewed")
        try await harness.tester.settle()
        #expect(harness.tester.connector.sent.count == 1, "dropped while the plugin was down")
        await harness.stop()
    }

    static let admin = Sender(id: "root", displayName: "root", account: "root")

    @Test func adminsListDisableAndReloadPluginsFromChat() async throws {
        let harness = try await Harness()
        #expect(try await harness.tester.reply(to: "!plugins") == "misbehaving 1.0: ready (!try)")
        #expect(try await harness.tester.reply(to: "!plugin disable misbehaving").hasPrefix("Sorry, !plugin is for admins"))
        #expect(try await harness.tester.reply(to: "!plugin disable misbehaving", from: Self.admin)
            == "misbehaving is disabled until !plugin reload misbehaving.")
        #expect(try await harness.tester.reply(to: "!try x") == "Sorry, the misbehaving plugin is not working right now.")
        #expect(try await harness.tester.reply(to: "!plugins") == "misbehaving 1.0: disabled: disabled by root (!try)")
        #expect(try await harness.tester.reply(to: "!plugin reload misbehaving", from: Self.admin) == "Starting misbehaving afresh.")
        try await harness.host.waitUntilReady()
        #expect(try await harness.tester.reply(to: "!try x") == "echo x (call 1)")
        await harness.stop()
    }

    @Test func anOutboundHookRewritesWhatTheBotIsAboutToSay() async throws {
        let harness = try await Harness(modelSays: "well darn it")
        #expect(try await harness.tester.reply(to: "parley: how did it go?") == "well d**n it")
        await harness.stop()
    }

    @Test func pluginsAreToldOfMessagesAndRepliesAsTheyHappen() async throws {
        let harness = try await Harness(chatter: false)
        harness.tester.say("just chatting among ourselves")
        _ = try await harness.tester.reply(to: "parley: hello there")
        _ = try await eventually("the reply's event") { harness.log.contains("event: reply_sent model answer") ? true : nil }
        #expect(harness.log.contains("event: message parley: hello there"))
        #expect(!harness.log.contains("event: message just chatting"), "chatter needs the chatter permission")
        let channel = ChannelKey(network: "test", channel: BotTester.channel)
        harness.tester.connector.report(.membership(channel, Sender(id: "zoe", displayName: "zoe"), .joined))
        harness.tester.connector.report(.membership(channel, Sender(id: "zoe", displayName: "zoe"), .left))
        _ = try await eventually("the part") { harness.log.contains("event: part zoe #test") ? true : nil }
        #expect(harness.log.contains("event: join zoe #test"))
        await harness.stop()
    }
}
