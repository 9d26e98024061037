import Foundation
import GRDB
import ParleyCore
import ParleyStore
import ParleyTesting
import Testing

@Suite struct SQLiteStoreTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-store-\(UUID().uuidString)")
    var path: String { folder.appendingPathComponent("parley.sqlite").path }
    static let channel = ChannelKey(network: "test", channel: BotTester.channel)
    static let session = SessionKey(channel: channel)

    /// Counts rows straight from the file, not through the store under test.
    func rowsOnDisk(where condition: String = "1") throws -> Int {
        let database = try DatabaseQueue(path: path)
        return try database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM context_entry WHERE \(condition)") ?? 0
        }
    }

    @Test func restoresContextsAfterARestart() async throws {
        let backend = ScriptedBackend(replying: "The answer is 42.")
        do {
            let tester = BotTester(backend: backend, store: try SQLiteStore(path: path))
            _ = try await tester.reply(to: "parley: what is the answer?")
            try await tester.settle()
            await tester.stop()
        }
        let restarted = BotTester(backend: backend, store: try SQLiteStore(path: path))
        _ = try await restarted.reply(to: "parley: say it again")
        let request = try #require(backend.requests.last)
        #expect(request.messages.dropFirst().map(\.content) == [
            "alice: what is the answer?", "The answer is 42.", "alice: say it again",
        ])
    }

    @Test func forgetMeRemovesTheRowsOnDisk() async throws {
        let tester = BotTester(
            backend: ScriptedBackend(replying: "noted"), policy: ChannelPolicy(backend: "scripted", recordsChatter: true),
            store: try SQLiteStore(path: path))
        _ = try await tester.reply(to: "parley: my phone is 555-0100")
        tester.say("unrelated chatter", from: Sender(id: "bob", displayName: "bob"))
        try await tester.settle()
        #expect(try rowsOnDisk(where: "speaker = 'alice' OR addressee = 'alice'") == 2)
        _ = try await tester.reply(to: "!forget me")
        #expect(try rowsOnDisk(where: "speaker = 'alice' OR addressee = 'alice'") == 0)
        #expect(try rowsOnDisk(where: "text LIKE '%555-0100%'") == 0)
        #expect(try rowsOnDisk(where: "speaker = 'bob'") == 1)
    }

    @Test func keepsAtMostTheConfiguredEntriesPerConversation() async throws {
        let store = try SQLiteStore(path: path, retention: Retention(maxAge: nil, maxEntriesPerSession: 3))
        for number in 1...5 {
            try await store.append(
                ContextEntry(role: .user, speaker: "a", speakerName: "a", text: "line \(number)"), to: Self.session)
        }
        let kept = try await store.entries(of: Self.session, limit: 10)
        #expect(kept.map(\.text) == ["line 3", "line 4", "line 5"])
        #expect(try rowsOnDisk() == 3)
    }

    @Test func aBatchOfLinesFromTwoConversationsKeepsTheirOrderAndEachItsLimit() async throws {
        let store = try SQLiteStore(path: path, retention: Retention(maxAge: nil, maxEntriesPerSession: 3))
        let other = SessionKey(channel: ChannelKey(network: "test", channel: "#other"))
        let lines = (1...5).flatMap { number in
            [Self.session, other].map { session in
                StoredLine(ContextEntry(role: .user, speaker: "a", speakerName: "a", text: "\(session.channel.channel) \(number)"), of: session)
            }
        }
        try await store.append(contentsOf: lines)
        #expect(try await store.entries(of: Self.session, limit: 10).map(\.text) == ["#test 3", "#test 4", "#test 5"])
        #expect(try await store.entries(of: other, limit: 10).map(\.text) == ["#other 3", "#other 4", "#other 5"])
        #expect(try rowsOnDisk() == 6)
    }

    @Test func deletesEntriesOlderThanTheMaximumAge() async throws {
        let store = try SQLiteStore(path: path, retention: Retention(maxAge: .seconds(86_400), maxEntriesPerSession: nil))
        let now = Date()
        try await store.append(
            ContextEntry(role: .user, speaker: "a", speakerName: "a", text: "old", time: now.addingTimeInterval(-2 * 86_400)),
            to: Self.session)
        try await store.append(ContextEntry(role: .user, speaker: "a", speakerName: "a", text: "new", time: now), to: Self.session)
        #expect(try await store.applyRetention(now: now) == 1)
        #expect(try await store.entries(of: Self.session, limit: 10).map(\.text) == ["new"])
    }

    @Test func reopeningAnExistingFileKeepsItsDataAndSchema() async throws {
        do {
            let store = try SQLiteStore(path: path)
            try await store.append(ContextEntry(role: .user, speaker: "a", speakerName: "a", text: "kept"), to: Self.session)
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.entries(of: Self.session, limit: 10).map(\.text) == ["kept"])
    }

    @Test func keepsTheModerationLog() async throws {
        let store = try SQLiteStore(path: path)
        let event = ModerationEvent(
            time: Date(timeIntervalSince1970: 1_700_000_000), channel: Self.channel, user: "bob", hook: "blocklist",
            direction: .inbound, verdict: "drop", reason: "matches blocklist pattern /spam/")
        try await store.record(event)
        #expect(try await store.moderationEvents() == [event])
    }

    @Test func anUnwritableLocationIsAClearError() throws {
        #expect {
            try SQLiteStore(path: "/proc/parley/cannot/be/here.sqlite")
        } throws: { error in
            "\(error)".hasPrefix("storage at /proc/parley/cannot/be/here.sqlite:")
        }
    }
}

extension SQLiteStoreTests {
    // Issue 15: after a forget-me the person's words are in neither the database file nor its
    // write-ahead log (secure_delete overwrites freed pages; the log is checkpointed and emptied).
    @Test func forgottenWordsAreGoneFromTheFilesOnDisk() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-forget-\(UUID().uuidString)")
        let path = folder.appendingPathComponent("p.sqlite").path
        let store = try SQLiteStore(path: path)
        let secret = "zebra-\(UUID().uuidString)-quartz"
        let session = SessionKey(channel: ChannelKey(network: "irc", channel: "#c"))
        for index in 0..<50 {
            try await store.append(ContextEntry(role: .user, speaker: "other", speakerName: "other", text: "filler \(index)"), to: session)
        }
        try await store.append(ContextEntry(role: .user, speaker: "victim", speakerName: "victim", text: "my code is \(secret)"), to: session)
        try await store.append(
            ContextEntry(role: .assistant, speaker: nil, speakerName: "", addressee: "victim", text: "noted: \(secret)"), to: session)
        _ = try await store.openTicket(Ticket(
            channel: session.channel, isDirect: false, customer: "victim", customerName: "victim", reason: "asked",
            transcript: ["victim: my code is \(secret)"], opened: Date()))
        try await store.saveSummary(
            ConversationSummary(text: "victim's code is \(secret)", users: ["victim", "other"], through: Date()), of: session)
        try await store.addNote(PersonNote(text: "code \(secret)"), for: "victim", on: "irc")
        func onDisk() throws -> Bool {
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            return try files.contains { name in
                try Data(contentsOf: folder.appendingPathComponent(name)).range(of: Data(secret.utf8)) != nil
            }
        }
        #expect(try onDisk(), "the test must see the secret before it is forgotten")

        #expect(try await store.forget("victim", on: "irc") == 2)
        try await store.erase()
        #expect(try !onDisk())
        #expect(try await store.entries(of: session, limit: 100).count == 50)
        #expect(try await store.ticket(1)?.customerName == "(forgotten)", "the ticket stays, scrubbed")
        #expect(try await store.summary(of: session) == nil)
        #expect(try await store.notes(of: "victim", on: "irc").isEmpty)
        try? FileManager.default.removeItem(at: folder)
    }
}
