import Foundation
import ParleyStore
import Testing

@Suite struct SQLiteStoreMatrixTests {
    @Test func keepsThePositionPendingEventsAndHandledIdsAcrossReopening() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-store-\(UUID().uuidString)")
        let path = folder.appendingPathComponent("p.sqlite").path
        do {
            let store = try SQLiteStore(path: path)
            try await store.commitMatrixBatch(account: "m", since: "s1", admitted: [("$a", "!r", "{\"a\":1}"), ("$b", "!r", "{}")])
            try await store.commitMatrixBatch(account: "m", since: "s2", admitted: [("$a", "!r", "{\"changed\":1}")])
            try await store.settleMatrixEvents(account: "m", eventIDs: ["$b"])
            try await store.saveMatrixLogin(account: "m", userID: "@p:x", deviceID: "DEV", accessToken: "tok")
            try await store.addMatrixRoomFlag(account: "m", room: "!r", flag: "direct")
            try await store.commitMatrixBatch(account: "other", since: "z9", admitted: [("$c", "!q", "{}")])
        }
        let reopened = try SQLiteStore(path: path)
        let rows = try await reopened.loadMatrixState(account: "m", handledLimit: 100)
        #expect(rows.since == "s2")
        #expect(rows.pending.map(\.eventID) == ["$a"])
        #expect(rows.pending.first?.json == "{\"a\":1}", "an event admitted twice keeps its first body")
        #expect(rows.handled == ["$b"])
        #expect(rows.login?.deviceID == "DEV" && rows.login?.accessToken == "tok")
        #expect(rows.roomFlags.map(\.flag) == ["direct"])
        #expect(try await reopened.loadMatrixState(account: "other", handledLimit: 100).pending.map(\.eventID) == ["$c"])
    }

    @Test func handledIdsArePrunedToTheNewestOnceAQuarterOverTheLimit() async throws {
        let store = try SQLiteStore(path: ":memory:")
        for index in 0..<125 { try await store.settleMatrixEvents(account: "m", eventIDs: ["$\(index)"], keep: 100) }
        #expect(try await store.loadMatrixState(account: "m", handledLimit: 1000).handled.count == 125, "not over by more than a quarter yet")
        try await store.settleMatrixEvents(account: "m", eventIDs: ["$125"], keep: 100)
        let handled = try await store.loadMatrixState(account: "m", handledLimit: 1000).handled
        #expect(handled == (26...125).map { "$\($0)" }, "the newest 100, oldest first")
        try await store.settleMatrixEvents(account: "other", eventIDs: ["$x"], keep: 100)
        #expect(try await store.loadMatrixState(account: "m", handledLimit: 1000).handled.count == 100, "another account's ids count apart")
    }

    @Test func theDatabaseFileIsReadableByItsOwnerOnly() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-mode-\(UUID().uuidString).sqlite").path
        _ = try SQLiteStore(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
