import Foundation
import Logging
import ParleyCore
@testable import ParleyPlugins
import ParleyTesting
import Synchronization
import Testing

/// The plugin host against a real child process (a Python script in Fixtures that misbehaves on
/// request): calls, timeouts, crashes, garbage, floods, restarts and disabling.
@Suite struct PluginHostTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/misbehaving").path

    static func manifest(store: Bool = false, chatter: Bool = false, hooks: Set<PluginManifest.Hook> = [.inbound, .outbound]) -> PluginManifest {
        PluginManifest(
            name: "misbehaving", version: "1.0", description: "misbehaves on request", run: ["python3", "plugin.py"],
            directory: fixture, commands: [.init(name: "try", help: "does what it is told")], hooks: hooks,
            permissions: .init(chatter: chatter, store: store), events: [.message, .reply, .join, .part])
    }

    struct Running {
        let host: PluginHost
        let clock: TestClock
        let log: CapturedLog
        let task: Task<Void, Never>

        init(store: Bool = true, chatter: Bool = false, timeout: Duration = .seconds(2), maxCrashes: Int = 5) {
            clock = TestClock()
            log = CapturedLog()
            host = PluginHost(
                configuration: PluginConfiguration(
                    manifest: PluginHostTests.manifest(store: store, chatter: chatter), timeout: timeout, maxCrashes: maxCrashes),
                logger: log.logger, store: MemoryPluginStore(), clock: clock)
            let host = host
            task = Task { await host.runUntilCancelled() }
        }

        func command(_ arguments: String) async throws -> String? {
            try await host.call("command", .object(["command": .string("try"), "arguments": .string(arguments)]))["reply"]?.string
        }

        /// Advances the clock past the restart wait and waits until the plugin is ready again.
        func restarted() async throws {
            _ = try await eventually("the restart wait") { clock.sleepers > 0 ? true : nil }
            clock.advance(by: .seconds(2))
            try await host.waitUntilReady()
        }

        func stop() async {
            task.cancel()
            await task.value
        }
    }

    @Test func answersCallsFromOneLongRunningProcess() async throws {
        let running = Running()
        try await running.host.waitUntilReady()
        #expect(try await running.command("a") == "echo a (call 1)")
        #expect(try await running.command("b") == "echo b (call 2)", "the same process answers again")
        await running.stop()
        #expect(await running.host.state == .stopped)
    }

    @Test func keepsStateInParleysStoreThroughTheProtocol() async throws {
        let running = Running(store: true)
        try await running.host.waitUntilReady()
        #expect(try await running.command("remember") == "stored v1")
        await running.stop()
    }

    @Test func withoutTheStorePermissionTheStoreIsRefused() async throws {
        let running = Running(store: false)
        try await running.host.waitUntilReady()
        // The fixture expects a value; without the permission it gets an error and crashes.
        await #expect(throws: PluginError.self) { try await running.command("remember") }
        await running.stop()
    }

    @Test func aPluginThatExitsMidCallFailsTheCallAndIsRestarted() async throws {
        let running = Running()
        try await running.host.waitUntilReady()
        await #expect(throws: PluginError.exited("misbehaving", status: 3)) { try await running.command("exit") }
        try await running.restarted()
        #expect(try await running.command("again") == "echo again (call 1)", "a new process")
        await running.stop()
    }

    @Test func aPluginThatHangsTimesOutAndIsRestarted() async throws {
        let running = Running(timeout: .seconds(2))
        try await running.host.waitUntilReady()
        let call = Task { try await running.command("hang") }
        // The call's timer and nothing else sleeps on the clock while the plugin hangs.
        _ = try await eventually("the call's timer") { running.clock.sleepers == 1 ? true : nil }
        running.clock.advance(by: .seconds(2))
        await #expect(throws: PluginError.timedOut("misbehaving", after: .seconds(2))) { try await call.value }
        try await running.restarted()
        #expect(try await running.command("after") == "echo after (call 1)")
        await running.stop()
    }

    @Test func aPluginThatWritesGarbageIsCutOffAndRestarted() async throws {
        let running = Running()
        try await running.host.waitUntilReady()
        await #expect(throws: PluginError.self) { try await running.command("garbage") }
        #expect(running.log.contains("broke the protocol"))
        try await running.restarted()
        #expect(try await running.command("after") == "echo after (call 1)")
        await running.stop()
    }

    @Test func aPluginThatFloodsWithoutANewlineIsCutOffAtTheLineLimit() async throws {
        let running = Running()
        try await running.host.waitUntilReady()
        await #expect(throws: PluginError.protocolViolation("misbehaving", detail: "a line over 1048576 bytes")) {
            try await running.command("flood")
        }
        try await running.restarted()
        #expect(try await running.command("after") == "echo after (call 1)")
        await running.stop()
    }

    @Test func repeatedCrashesDisableThePluginUntilItIsReloaded() async throws {
        let running = Running(maxCrashes: 3)
        for attempt in 1...3 {
            try await running.host.waitUntilReady()
            await #expect(throws: PluginError.self) { try await running.command("exit") }
            if attempt < 3 { try await running.restarted() }
        }
        _ = try await eventually("the plugin to be disabled") {
            if case .disabled = await running.host.state { true } else { nil }
        }
        await #expect(throws: PluginError.self) { try await running.command("a") }
        #expect(running.log.contains("plugin disabled after repeated failures"))
        await running.host.reload()
        try await running.host.waitUntilReady()
        #expect(try await running.command("back") == "echo back (call 1)")
        await running.stop()
    }

    @Test func stderrGoesToTheLogUnderThePluginsName() async throws {
        let manifest = PluginManifest(
            name: "noisy", version: "1", description: "", run: ["sh", "-c", "echo 'warming up' >&2; exec python3 plugin.py"],
            directory: Self.fixture, commands: [.init(name: "try", help: "")])
        let log = CapturedLog()
        let host = PluginHost(configuration: PluginConfiguration(manifest: manifest), logger: log.logger, clock: TestClock())
        let task = Task { await host.runUntilCancelled() }
        try await host.waitUntilReady()
        _ = try await eventually("the stderr line") { log.contains("warming up") ? true : nil }
        task.cancel()
        await task.value
    }
}
