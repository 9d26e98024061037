@testable import ParleyCore
import ParleyTesting
import Testing

@Suite struct ConfigCommandsTests {
    static let admin = Sender(id: "root", displayName: "root", account: "root")
    static let op = Sender(id: "op", displayName: "op", account: "op", isOperator: true)
    static let unidentifiedOp = Sender(id: "fake", displayName: "fake", account: nil, isOperator: true)
    static let user = Sender(id: "user", displayName: "user", account: "user")

    static func bot(opsMayConfigure: Bool, saved: AdminStateTests.Saved = .init(), backend: ScriptedBackend) -> BotTester {
        var policy = ChannelPolicy(systemPrompt: "From the config.", backend: "scripted")
        policy.opsMayConfigure = opsMayConfigure
        return BotTester(
            configuration: BotConfiguration(roles: RoleList([RoleList.Entry(network: "test", account: "root")])),
            policy: policy, backends: [backend, ScriptedBackend(name: "other", replying: "other")], adminStore: saved)
    }

    @Test func aChannelOperatorSetsThePromptAPlainUserIsRefusedAndItSurvivesARestart() async throws {
        let saved = AdminStateTests.Saved()
        let backend = ScriptedBackend(replying: "ok")
        let first = Self.bot(opsMayConfigure: true, saved: saved, backend: backend)
        #expect(try await first.reply(to: "!config set system_prompt Talk like a pirate.", from: Self.user).contains("is for admins"))
        #expect(try await first.reply(to: "!config set system_prompt Spoofed.", from: Self.unidentifiedOp).contains("is for admins"),
                "operator status without a services account is not enough")
        #expect(try await first.reply(to: "!config set system_prompt Talk like a pirate.", from: Self.op)
            == "system_prompt is now Talk like a pirate. here.")
        _ = try await first.reply(to: "parley: hello")
        #expect(backend.requests.last?.messages.first?.content.hasPrefix("Talk like a pirate.") == true)
        #expect(try await first.reply(to: "!status", from: Self.user).contains("set here: system_prompt"))
        await first.stop()

        let second = Self.bot(opsMayConfigure: true, saved: saved, backend: backend)
        _ = try await second.reply(to: "parley: after the restart")
        #expect(backend.requests.last?.messages.first?.content.hasPrefix("Talk like a pirate.") == true)
        #expect(try await second.reply(to: "!config unset system_prompt", from: Self.admin) == "system_prompt is back to the config's value here.")
        _ = try await second.reply(to: "parley: and now?")
        #expect(backend.requests.last?.messages.first?.content.hasPrefix("From the config.") == true)
        await second.stop()
    }

    @Test func operatorsMayNotWhereTheChannelDoesNotAllowIt() async throws {
        let tester = Self.bot(opsMayConfigure: false, backend: ScriptedBackend(replying: "ok"))
        #expect(try await tester.reply(to: "!config show", from: Self.op).contains("is for admins"))
        #expect(try await tester.reply(to: "!config show", from: Self.admin).contains("system_prompt=From the config."))
        await tester.stop()
    }

    @Test func badKeysAndValuesAreRefusedWithWhatWouldBeValid() async throws {
        let tester = Self.bot(opsMayConfigure: false, backend: ScriptedBackend(replying: "ok"))
        #expect(try await tester.reply(to: "!config set colour blue", from: Self.admin).hasPrefix("'colour' is not a channel setting; settings: system_prompt"))
        #expect(try await tester.reply(to: "!config set temperature hot", from: Self.admin) == "'hot' is not a valid temperature; use a number from 0 to 5")
        #expect(try await tester.reply(to: "!config set backend nope", from: Self.admin) == "no backend named 'nope'; configured backends: other, scripted")
        #expect(try await tester.reply(to: "!config set backend other", from: Self.admin) == "backend is now other here.")
        #expect(try await tester.reply(to: "parley: hi") == "other")
        #expect(try await tester.reply(to: "!config set trigger off", from: Self.admin) == "trigger is now off here.")
        #expect(try await tester.reply(to: "!config show", from: Self.admin).contains("trigger=off (set here)"))
        await tester.stop()
    }

    @Test func theOperatorsRoleMayConfigureAndPauseItsChannelButNotRunTheBotsAdminCommands() async throws {
        let moderator = Sender(id: "mod", displayName: "mod", account: "mod")
        let tester = BotTester(
            configuration: BotConfiguration(roles: RoleList([RoleList.Entry(network: "test", account: "mod", role: .operator, channel: "#test")])),
            backends: [ScriptedBackend(replying: "ok")])
        #expect(try await tester.reply(to: "!config set temperature 0.2", from: moderator) == "temperature is now 0.2 here.")
        #expect(try await tester.reply(to: "!pause", from: moderator).hasPrefix("Paused"))
        #expect(try await tester.reply(to: "!resume", from: moderator) == "Resumed.")
        #expect(try await tester.reply(to: "!ignore troll", from: moderator).contains("is for admins"))
        #expect(try await tester.reply(to: "!reload", from: moderator).contains("is for admins"))
        #expect(try await tester.reply(to: "!pause", from: moderator, in: "#elsewhere").contains("is for admins"), "only in their channel")
        let help = try await tester.reply(to: "!help", from: moderator)
        #expect(help.contains("!pause") && help.contains("!config") && !help.contains("!ignore"))
        await tester.stop()
    }
}
