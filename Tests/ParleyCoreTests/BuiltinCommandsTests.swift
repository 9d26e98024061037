import ParleyCore
import ParleyTesting
import Testing

@Suite struct BuiltinCommandsTests {
    static let admin = RoleList([RoleList.Entry(network: "test", account: "root")])
    /// Claims the admin's nick but is not logged in to services.
    static let impostor = Sender(id: "root", displayName: "root", account: nil)
    static let realAdmin = Sender(id: "root", displayName: "root", account: "root")

    func tester(backend: ScriptedBackend = ScriptedBackend(replying: "ok"), store: (any ConversationStore)? = nil) -> BotTester {
        BotTester(
            configuration: BotConfiguration(roles: Self.admin), policy: ChannelPolicy(backend: backend.name, recordsChatter: true),
            backends: [backend], store: store)
    }

    @Test func pingAnswersPong() async throws {
        #expect(try await tester().reply(to: "!ping") == "pong")
    }

    @Test func helpListsTheCommandsTheSenderMayUse() async throws {
        let tester = tester()
        let help = try await tester.reply(to: "!help")
        #expect(help.contains("!ping") && help.contains("!reset") && help.contains("!forget"))
        #expect(!help.contains("!ignore"))
        let adminHelp = try await tester.reply(to: "!help", from: Self.realAdmin)
        #expect(adminHelp.contains("!ignore") && adminHelp.contains("!pause"))
        #expect(try await tester.reply(to: "!help forget") == "!forget me | forget TEXT — delete what you said (and my answers to you) from my memory and storage; or one of your notes")
    }

    @Test func statusReportsBackendContextAndQueue() async throws {
        let tester = tester()
        _ = try await tester.reply(to: "parley: hi")
        let status = try await tester.reply(to: "!status")
        #expect(status.hasPrefix("backend scripted, 2 entries in context, idle, 1 conversations, 1 replies sent"))
    }

    @Test func forgetMeRemovesTheSendersLinesAndTheAnswersToThem() async throws {
        let backend = ScriptedBackend(replying: "noted")
        let store = InMemoryConversationStore()
        let tester = tester(backend: backend, store: store)
        _ = try await tester.reply(to: "parley: my email is a@example.org")
        tester.say("I like turtles", from: BotTests.bob)
        #expect(try await tester.reply(to: "!forget me") == "Done: I deleted 2 messages concerning you.")
        _ = try await tester.reply(to: "parley: what do you know?", from: BotTests.bob)
        let last = try #require(backend.requests.last)
        #expect(last.messages.dropFirst().map(\.content) == ["bob: I like turtles", "bob: what do you know?"])
        let key = SessionKey(channel: ChannelKey(network: "test", channel: BotTester.channel))
        #expect(await !store.entries(of: key, limit: 100).contains { $0.text.contains("example.org") })
        #expect(await store.erasures == 1, "the store is told to erase the freed bytes")
        #expect(backend.forgottenPrefixes == ["test/"], "the backends drop their caches of the network's conversations")
    }

    @Test func forgetMeByANickAloneIsRefusedUnlessTheOperatorAllowsIt() async throws {
        let nickOnly = Sender(id: "carol", displayName: "carol", account: nil)
        let strict = BotTester(backends: [ScriptedBackend(replying: "ok")])
        #expect(try await strict.reply(to: "!forget me", from: nickOnly)
            == "I can only do !forget me for someone logged in to services: a nick alone could be anyone's. Log in and ask again.")
        await strict.stop()
        var configuration = BotConfiguration()
        configuration.forgetsByNick = true
        let lenient = BotTester(configuration: configuration, backends: [ScriptedBackend(replying: "ok")])
        #expect(try await lenient.reply(to: "!forget me", from: nickOnly).hasPrefix("Done:"))
        await lenient.stop()
    }

    @Test func unknownCommandsAreAnsweredOnlyWhenMeantForTheBot() async throws {
        let tester = tester()
        tester.say("!weather")
        #expect(try await tester.reply(to: "!weather", isDirect: true) == "I don't know !weather; !help lists what I can do.")
        #expect(tester.connector.sent.count == 1)
    }

    @Test(arguments: ["!ignore bob", "!unignore bob", "!pause", "!resume"])
    func adminCommandsAreRefusedToAnUnauthenticatedSenderWithAnAdminsNick(command: String) async throws {
        let tester = tester()
        let reply = try await tester.reply(to: command, from: Self.impostor)
        #expect(reply.hasPrefix("Sorry, !\(command.dropFirst().split(separator: " ")[0]) is for admins"))
        #expect(tester.bot.ignoreList.current.isEmpty)
        #expect(try await tester.reply(to: "parley: still answering?") == "ok")
    }

    @Test func anAdminCanIgnoreSomeoneAndPauseTheChannel() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = tester(backend: backend)
        #expect(try await tester.reply(to: "!ignore bob", from: Self.realAdmin) == "Ignoring bob.")
        tester.say("parley: hello?", from: BotTests.bob)
        #expect(try await tester.reply(to: "!pause", from: Self.realAdmin).hasPrefix("Paused"))
        tester.say("parley: anyone?")
        #expect(try await tester.reply(to: "!resume", from: Self.realAdmin) == "Resumed.")
        #expect(try await tester.reply(to: "parley: back?") == "ok")
        #expect(backend.requests.map { $0.messages.last?.content } == ["alice: back?"])
    }
}
