@testable import ParleyCore
import ParleyTesting
import Testing

@Suite struct AdminStateTests {
    /// An admin state store in memory, shared by two bots to stand for a restart.
    final class Saved: AdminStateStore {
        let state = Locked(AdminState())
        func loadAdminState() async throws -> AdminState { state.withLock { $0 } }
        func saveAdminState(_ new: AdminState) async throws { state.withLock { $0 = new } }
    }

    static let admin = Sender(id: "root", displayName: "root", account: "root")
    static let troll = Sender(id: "troll", displayName: "troll", account: nil)
    static let olduser = Sender(id: "olduser", displayName: "olduser", account: nil)

    static func bot(_ saved: Saved) -> BotTester {
        BotTester(
            configuration: BotConfiguration(roles: RoleList([RoleList.Entry(network: "test", account: "root")])),
            policy: ChannelPolicy(backend: "scripted"), backends: [ScriptedBackend(replying: "hello")],
            ignoreList: IgnoreList(["olduser"]), adminStore: saved)
    }

    @Test func ignoresUnignoresAndPausesSurviveARestart() async throws {
        let saved = Saved()
        let first = Self.bot(saved)
        #expect(try await first.reply(to: "!ignore troll", from: Self.admin) == "Ignoring troll.")
        #expect(try await first.reply(to: "!unignore olduser", from: Self.admin) == "No longer ignoring olduser.")
        _ = try await first.reply(to: "!pause", from: Self.admin, in: "#quiet")
        await first.stop()
        #expect(saved.state.withLock { $0 } == AdminState(
            ignoredAdded: ["troll"], ignoredRemoved: ["olduser"], paused: [ChannelKey(network: "test", channel: "#quiet")]))

        let second = Self.bot(saved)
        second.say("parley: are you there?", from: Self.troll)
        second.say("parley: anyone?", in: "#quiet")
        #expect(try await second.reply(to: "parley: hi", from: Self.olduser) == "hello", "the config's ignore was lifted in chat")
        try await second.settle()
        #expect(second.connector.sent.count == 1, "the ignored and the paused channel get nothing")
        _ = try await second.reply(to: "!resume", from: Self.admin, in: "#quiet")
        #expect(try await second.reply(to: "parley: now?", in: "#quiet") == "hello")
        await second.stop()
        #expect(saved.state.withLock { $0 }.paused.isEmpty)
    }

    @Test func unignoringAChatAdditionLeavesTheConfigAlone() {
        var state = AdminState()
        state.ignore("x")
        state.unignore("x", fromConfig: false)
        #expect(state == AdminState())
        state.unignore("configured", fromConfig: true)
        state.ignore("configured")
        #expect(state == AdminState(ignoredAdded: ["configured"]))
    }
}
