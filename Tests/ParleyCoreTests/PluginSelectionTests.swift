import ParleyCore
import ParleyTesting
import Testing

@Suite struct PluginSelectionTests {
    struct Shout: Command {
        let name = "shout"
        let summary = "shouts"
        func run(_ invocation: CommandInvocation) async throws -> String? { invocation.arguments.uppercased() }
    }

    struct NoDucks: ModerationHook {
        let name = "no-ducks"
        func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict {
            message.text.contains("duck") ? .respond("No ducks here.", reason: "ducks") : .allow
        }
    }

    struct Loud: Plugin {
        let name = "loud"
        var commands: [any Command] { [Shout()] }
        var inboundHooks: [any ModerationHook] { [NoDucks()] }
    }

    @Test func selectionsAllowByName() {
        #expect(PluginSelection.all.allows("x"))
        #expect(PluginSelection.only(["a"]).allows("a") && !PluginSelection.only(["a"]).allows("b"))
        #expect(!PluginSelection.except(["a"]).allows("a") && PluginSelection.except(["a"]).allows("b"))
    }

    @Test func aPluginLeftOutOfAChannelDoesNothingThere() async throws {
        let backend = ScriptedBackend(replying: "model")
        let quiet = ChannelPolicy(backend: backend.name, plugins: .except(["loud"]))
        let tester = BotTester(
            policies: ChannelPolicies(rules: [(ChannelMatch(channel: "#quiet"), quiet)], fallback: ChannelPolicy(backend: backend.name)),
            backends: [backend], plugins: [Loud()])
        #expect(try await tester.reply(to: "!shout hey") == "HEY")
        #expect(try await tester.reply(to: "parley: a duck!") == "No ducks here.")
        #expect(try await tester.reply(to: "!shout hey", in: "#quiet") == "!shout is not enabled here.")
        #expect(try await tester.reply(to: "parley: a duck!", in: "#quiet") == "model")
        await tester.stop()
    }
}
