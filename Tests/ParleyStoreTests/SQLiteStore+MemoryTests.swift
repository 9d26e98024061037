import Foundation
import ParleyCore
import ParleyStore
import Testing

/// Summaries, notes, edits and redactions, and retention per channel, in the SQLite file.
@Suite struct SQLiteStoreMemoryTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-memory-\(UUID().uuidString)")
    var path: String { folder.appendingPathComponent("parley.sqlite").path }
    static let channel = ChannelKey(network: "net", channel: "#room")
    static let session = SessionKey(channel: channel)
    static let other = SessionKey(channel: ChannelKey(network: "net", channel: "#room2"))

    static func line(_ text: String, by user: UserID = "alice", id: String, at time: Double) -> ContextEntry {
        ContextEntry(role: .user, speaker: user, speakerName: user.rawValue, text: text,
                     time: Date(timeIntervalSince1970: time), messageID: MessageID(id))
    }

    static func answer(_ text: String, to user: UserID = "alice", id: String, at time: Double) -> ContextEntry {
        ContextEntry(role: .assistant, speaker: nil, speakerName: "", addressee: user, text: text,
                     time: Date(timeIntervalSince1970: time), messageID: MessageID(id))
    }

    @Test func aSummaryIsKeptPerConversationAndClearedWithIt() async throws {
        let store = try SQLiteStore(path: path)
        let summary = ConversationSummary(text: "alice's locker is 7391", users: ["alice", "bob"], through: Date(timeIntervalSince1970: 100))
        try await store.saveSummary(summary, of: Self.session)
        #expect(try await store.summary(of: Self.session) == summary)
        #expect(try await store.summary(of: Self.other) == nil)
        try await store.saveSummary(ConversationSummary(text: "newer", users: ["alice"], through: Date(timeIntervalSince1970: 200)), of: Self.session)
        #expect(try await store.summary(of: Self.session)?.text == "newer")
        try await store.clear(Self.session)
        #expect(try await store.summary(of: Self.session) == nil)
    }

    @Test func anEditReplacesItsAuthorsLineAndARedactionRemovesTheLineAndItsAnswer() async throws {
        let store = try SQLiteStore(path: path)
        try await store.append(Self.line("my nmae is Al", id: "$a", at: 10), to: Self.session)
        try await store.append(Self.answer("hi Al", id: "$a", at: 11), to: Self.session)
        try await store.append(Self.line("card 4111", id: "$b", at: 12), to: Self.session)
        try await store.append(Self.answer("noted", id: "$b", at: 13), to: Self.session)
        try await store.append(Self.line("same id elsewhere", id: "$b", at: 14), to: Self.other)
        #expect(try await store.edit("$a", in: Self.channel, by: "mallory", text: "hijacked") == 0)
        #expect(try await store.edit("$a", in: Self.channel, by: "alice", text: "my name is Al") == 1)
        #expect(try await store.redact("$b", in: Self.channel) == 2)
        #expect(try await store.entries(of: Self.session, limit: 10).map(\.text) == ["my name is Al", "hi Al"])
        #expect(try await store.entries(of: Self.other, limit: 10).count == 1, "another channel's line is not touched")
    }

    @Test func aSummaryMadeFromARevisedLineIsDroppedAndOneMadeBeforeItIsKept() async throws {
        let store = try SQLiteStore(path: path)
        try await store.append(Self.line("old", id: "$old", at: 10), to: Self.session)
        try await store.append(Self.line("new", id: "$new", at: 20), to: Self.session)
        try await store.saveSummary(ConversationSummary(text: "s", users: ["alice"], through: Date(timeIntervalSince1970: 15)), of: Self.session)
        _ = try await store.redact("$new", in: Self.channel)
        #expect(try await store.summary(of: Self.session) != nil, "the summary did not cover the newer line")
        _ = try await store.edit("$old", in: Self.channel, by: "alice", text: "older")
        #expect(try await store.summary(of: Self.session) == nil)
    }

    @Test func notesArePerPersonAndNetworkAndGoWithForgetMe() async throws {
        let store = try SQLiteStore(path: path)
        try await store.addNote(PersonNote(text: "prefers 50% less"), for: "alice", on: "net")
        try await store.addNote(PersonNote(text: "timezone CET"), for: "alice", on: "net")
        try await store.addNote(PersonNote(text: "bob's note"), for: "bob", on: "net")
        try await store.addNote(PersonNote(text: "elsewhere"), for: "alice", on: "other")
        #expect(try await store.notes(of: "alice", on: "net").map(\.text) == ["prefers 50% less", "timezone CET"])
        #expect(try await store.removeNotes(of: "alice", on: "net", containing: "_") == 0, "no wildcards")
        #expect(try await store.removeNotes(of: "alice", on: "net", containing: "50%") == 1)
        try await store.saveSummary(ConversationSummary(text: "with alice", users: ["alice", "bob"], through: Date()), of: Self.session)
        try await store.saveSummary(ConversationSummary(text: "bob only", users: ["bob"], through: Date()), of: Self.other)
        _ = try await store.forget("alice", on: "net")
        #expect(try await store.notes(of: "alice", on: "net").isEmpty)
        #expect(try await store.notes(of: "bob", on: "net").count == 1)
        #expect(try await store.notes(of: "alice", on: "other").count == 1)
        #expect(try await store.summary(of: Self.session) == nil, "made from alice's lines")
        #expect(try await store.summary(of: Self.other)?.text == "bob only")
    }

    @Test func aChannelsOwnRetentionIsShorterThanTheStores() async throws {
        let store = try SQLiteStore(path: path)
        let now = Date(timeIntervalSince1970: 10 * 86_400)
        let threeDaysAgo = now.timeIntervalSince1970 - 3 * 86_400
        try await store.append(Self.line("short-lived", id: "$1", at: threeDaysAgo), to: Self.session)
        try await store.append(Self.line("kept", id: "$2", at: threeDaysAgo), to: Self.other)
        try await store.saveSummary(ConversationSummary(text: "s", users: ["alice"], through: Date(timeIntervalSince1970: threeDaysAgo)), of: Self.session)
        let removed = try await store.applyRetention(now: now) { channel in channel == Self.channel ? .seconds(86_400) : nil }
        #expect(removed == 1)
        #expect(try await store.entries(of: Self.session, limit: 10).isEmpty)
        #expect(try await store.summary(of: Self.session) == nil, "the summary goes with its lines")
        #expect(try await store.entries(of: Self.other, limit: 10).map(\.text) == ["kept"])
    }
}
