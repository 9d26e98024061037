@testable import ParleyCore
import ParleyTesting
import Testing

@Suite struct BotReloadTests {
    static func setup(prompt: String, backends: [any GenerationBackend], connectors: [any Connector], roles: RoleList = RoleList()) -> BotSetup {
        BotSetup(
            roles: roles, escalationChannel: nil,
            policies: ChannelPolicies(fallback: ChannelPolicy(systemPrompt: prompt, backend: "scripted")),
            backends: backends, ignore: [], inboundHooks: [], outboundHooks: [], sanitizer: OutputSanitizer(),
            plugins: [], connectors: connectors)
    }

    @Test func aReloadChangesTheNextRepliesPromptAndKeepsTheConversation() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(policy: ChannelPolicy(systemPrompt: "You are A.", backend: "scripted"), backends: [backend])
        _ = try await tester.reply(to: "parley: first question")
        await tester.bot.reload(to: Self.setup(prompt: "You are B.", backends: [backend], connectors: [tester.connector]))
        _ = try await tester.reply(to: "parley: second question")
        let requests = backend.requests
        #expect(requests.count == 2)
        #expect(requests[0].messages.first?.content.hasPrefix("You are A.") == true)
        #expect(requests[1].messages.first?.content.hasPrefix("You are B.") == true)
        #expect(requests[1].messages.contains { $0.content.contains("first question") }, "the transcript outlives the reload")
        await tester.stop()
    }

    @Test func aNetworkAddedStartsAndOneRemovedStopsWhileTheOthersStayUp() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(backends: [backend])
        _ = try await tester.reply(to: "parley: hello")
        let other = InMemoryConnector(network: "other")
        await tester.bot.reload(to: Self.setup(prompt: "p", backends: [backend], connectors: [tester.connector, other]))
        other.push(InboundMessage(
            id: "o1", channel: ChannelKey(network: "other", channel: "#x"), sender: BotTester.alice,
            text: "parley: are you here too?", addressing: Addressing.detect(in: "parley: are you here too?", names: ["parley"])))
        _ = try await eventually("a reply on the added network") { other.sent.first }
        let probe = InboundMessage(id: "probe", channel: ChannelKey(network: "test", channel: "#test"), sender: BotTester.alice, text: "")
        let status = await tester.bot.status(of: probe)
        #expect(Set(status.networks.map(\.network)) == ["test", "other"])

        await tester.bot.reload(to: Self.setup(prompt: "p", backends: [backend], connectors: [tester.connector]))
        let after = await tester.bot.status(of: probe)
        #expect(after.networks.map(\.network) == ["test"])
        #expect(try await tester.reply(to: "parley: still there?") == "ok", "the network that stayed was not disturbed")
        await tester.stop()
    }

    @Test func reloadAnswersWhatTheReloaderSaysOrWhyItRefused() async throws {
        let admin = Sender(id: "root", displayName: "root", account: "root")
        let tester = BotTester(
            configuration: BotConfiguration(roles: RoleList([RoleList.Entry(network: "test", account: "root")])),
            backends: [ScriptedBackend(replying: "ok")])
        #expect(try await tester.reply(to: "!reload", from: admin).hasPrefix("Reloading is not available"))
        await tester.bot.setReloader { throw ChannelSettingError.unknownKey("broken") }
        #expect(try await tester.reply(to: "!reload", from: admin).hasPrefix("Reload refused, the running config is kept"))
        await tester.bot.setReloader { "Reloaded." }
        #expect(try await tester.reply(to: "!reload", from: admin) == "Reloaded.")
        #expect(try await tester.reply(to: "!reload").contains("is for admins"), "a plain user may not")
        await tester.stop()
    }
}
