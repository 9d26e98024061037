import Foundation
import Logging
import ParleyCore
import ParleyTesting
import Testing

/// Storage off the hot path (issue 11): writes are queued and written in order by one worker.
@Suite struct WriteBehindStoreTests {
    static let session = SessionKey(channel: ChannelKey(network: "test", channel: BotTester.channel))
    static let logger = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A store whose writes wait until the test opens the gate: a stalled disk.
    actor StalledStore: ConversationStore {
        let gate = Gate()
        let inner = InMemoryConversationStore()

        func entries(of session: SessionKey, limit: Int) async throws -> [ContextEntry] {
            await inner.entries(of: session, limit: limit)
        }
        /// The size of each batch of lines the store was handed.
        private(set) var batches: [Int] = []

        func append(_ entry: ContextEntry, to session: SessionKey) async throws {
            try await append(contentsOf: [StoredLine(entry, of: session)])
        }
        func append(contentsOf lines: [StoredLine]) async throws {
            batches.append(lines.count)
            await gate.wait()
            for line in lines { await inner.append(line.entry, to: line.session) }
        }
        func clear(_ session: SessionKey) async throws { await inner.clear(session) }
        func forget(_ user: UserID, on network: NetworkID) async throws -> Int { await inner.forget(user, on: network) }
        func record(_ event: ModerationEvent) async throws { await inner.record(event) }
        func edit(_ message: MessageID, in channel: ChannelKey, by author: UserID, text: String) async throws -> Int {
            await inner.edit(message, in: channel, by: author, text: text)
        }
        func redact(_ message: MessageID, in channel: ChannelKey) async throws -> Int { await inner.redact(message, in: channel) }
        func summary(of session: SessionKey) async throws -> ConversationSummary? { await inner.summary(of: session) }
        func saveSummary(_ summary: ConversationSummary, of session: SessionKey) async throws {
            await inner.saveSummary(summary, of: session)
        }
        func notes(of user: UserID, on network: NetworkID) async throws -> [PersonNote] { await inner.notes(of: user, on: network) }
        func addNote(_ note: PersonNote, for user: UserID, on network: NetworkID) async throws {
            await inner.addNote(note, for: user, on: network)
        }
        func removeNotes(of user: UserID, on network: NetworkID, containing text: String) async throws -> Int {
            await inner.removeNotes(of: user, on: network, containing: text)
        }
    }

    func entry(_ text: String) -> ContextEntry {
        ContextEntry(role: .user, speaker: "alice", speakerName: "alice", text: text)
    }

    @Test func readsAndRemovalsSeeExactlyTheWritesQueuedBeforeThem() async throws {
        let base = InMemoryConversationStore()
        let store = WriteBehindStore(base, logger: Self.logger)
        let worker = Task { await store.run() }
        defer { worker.cancel() }
        await store.append(entry("one"), to: Self.session)
        await store.append(entry("two"), to: Self.session)
        #expect(try await store.entries(of: Self.session, limit: 10).map(\.text) == ["one", "two"])
        try await store.clear(Self.session)
        await store.append(entry("three"), to: Self.session)
        await store.flush()
        #expect(await base.entries(of: Self.session, limit: 10).map(\.text) == ["three"])
    }

    @Test func linesQueuedWhileTheDiskIsBusyAreWrittenTogetherInOrder() async throws {
        let stalled = StalledStore()
        let store = WriteBehindStore(stalled, logger: Self.logger)
        let worker = Task { await store.run() }
        defer { worker.cancel() }
        await store.append(entry("first"), to: Self.session)
        _ = try await eventually("the first write to reach the disk") { stalled.gate.arrivals == 1 ? true : nil }
        for text in ["two", "three", "four"] { await store.append(entry(text), to: Self.session) }
        let removal = Task { try await store.clear(Self.session) }
        _ = try await eventually("the clear to be queued") { await store.backlog == 2 ? true : nil }
        await store.append(entry("five"), to: Self.session)
        await store.append(entry("six"), to: Self.session)
        stalled.gate.open()
        try await removal.value
        await store.flush()
        #expect(await stalled.batches == [1, 3, 2], "a batch never crosses the clear queued between its lines")
        #expect(await stalled.inner.entries(of: Self.session, limit: 10).map(\.text) == ["five", "six"])
    }

    @Test func aStalledDiskDoesNotStallReplies() async throws {
        let stalled = StalledStore()
        let tester = BotTester(backend: ScriptedBackend(replying: "answered anyway"), store: stalled)
        #expect(try await tester.reply(to: "parley: are you there?") == "answered anyway")
        #expect(try await tester.reply(to: "parley: and now?") == "answered anyway")
        #expect(await stalled.inner.entries(of: Self.session, limit: 10).isEmpty, "nothing written while the disk stalls")
        stalled.gate.open()
        try await tester.settle()
        #expect(await stalled.inner.entries(of: Self.session, limit: 10).map(\.text) == [
            "are you there?", "answered anyway", "and now?", "answered anyway",
        ])
    }

    @Test func shutdownWritesEverythingQueued() async throws {
        let stalled = StalledStore()
        let tester = BotTester(backend: ScriptedBackend(replying: "ok"), store: stalled)
        _ = try await tester.reply(to: "parley: remember this")
        let stopping = Task { await tester.stop() }
        _ = try await eventually("the drain to wait for the disk") { stalled.gate.arrivals >= 1 ? true : nil }
        stalled.gate.open()
        await stopping.value
        #expect(await stalled.inner.entries(of: Self.session, limit: 10).map(\.text) == ["remember this", "ok"])
    }
}
