@testable import ParleyMatrix
import Testing

@Suite struct SyncLedgerTests {
    static func pending(_ id: MatrixEventID, room: MatrixRoomID = "!r") -> MatrixSavedState.Pending {
        MatrixSavedState.Pending(eventID: id, room: room, eventJSON: "{}")
    }

    @Test func admitsAnEventOnceWhetherPendingOrHandled() {
        var ledger = SyncLedger()
        let first = ledger.admit(Self.pending("$a"))
        let whilePending = ledger.admit(Self.pending("$a"))
        let settled = ledger.settle("$a")
        let afterHandling = ledger.admit(Self.pending("$a"))
        let settledAgain = ledger.settle("$a")
        #expect(first)
        #expect(!whilePending, "pending: not again")
        #expect(settled)
        #expect(!afterHandling, "handled: not again")
        #expect(!settledAgain, "settling twice reports that it was not pending")
    }

    @Test func keepsPendingEventsInAdmissionOrderForReplay() {
        var ledger = SyncLedger()
        for id: MatrixEventID in ["$c", "$a", "$b"] { _ = ledger.admit(Self.pending(id)) }
        ledger.settle("$a")
        #expect(ledger.pendingInOrder.map(\.eventID) == ["$c", "$b"])
    }

    @Test func restoresPositionPendingAndHandledFromSavedState() {
        let saved = MatrixSavedState(since: "s42", pending: [Self.pending("$p")], handled: ["$h1", "$h2"])
        var ledger = SyncLedger(saved)
        #expect(ledger.since == "s42")
        #expect(ledger.pendingInOrder.map(\.eventID) == ["$p"])
        #expect(!ledger.isNew("$p") && !ledger.isNew("$h1") && !ledger.isNew("$h2"))
        #expect(ledger.isNew("$fresh"))
        ledger.advance(to: "s43")
        #expect(ledger.since == "s43")
    }

    @Test func forgetsTheOldestHandledIdsBeyondItsCapacity() {
        var ledger = SyncLedger(capacity: 100)
        for index in 0..<200 { ledger.settle(MatrixEventID("$\(index)")) }
        #expect(ledger.isHandled("$199"))
        #expect(ledger.isHandled("$100"))
        #expect(!ledger.isHandled("$0"))
    }
}
