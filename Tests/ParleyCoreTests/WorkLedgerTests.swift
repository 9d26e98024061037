@testable import ParleyCore
import Testing

@Suite struct WorkLedgerTests {
    @Test func aMessageIsSettledWhenItsLastPieceEndsAndTheBotIdleAfterThat() {
        var ledger = WorkLedger()
        ledger.begin("m")  // handling it
        ledger.begin("m")  // the reply it queued
        let firstSettles = ledger.finishing("m")
        let firstIdles = ledger.finished()
        #expect(!firstSettles && !firstIdles)
        let lastSettles = ledger.finishing("m")
        #expect(lastSettles, "the last piece settles the message")
        #expect(!ledger.isIdle, "not idle while the message is being settled")
        let lastIdles = ledger.finished()
        #expect(lastIdles && ledger.isIdle && ledger.unsettledMessages == 0)
    }

    @Test func messagesAreSettledIndependently() {
        var ledger = WorkLedger()
        ledger.begin("a")
        ledger.begin("b")
        let bSettles = ledger.finishing("b")
        let idleAfterB = ledger.finished()
        #expect(bSettles && !idleAfterB && ledger.unsettledMessages == 1)
        let aSettles = ledger.finishing("a")
        let idleAfterA = ledger.finished()
        #expect(aSettles && idleAfterA)
    }

    @Test func aWithdrawnPieceNeitherSettlesNorIdles() {
        var ledger = WorkLedger()
        ledger.begin("m")
        ledger.begin("m")
        ledger.withdraw("m")
        #expect(ledger.pending == 1 && ledger.unsettledMessages == 1)
        let settles = ledger.finishing("m")
        let idles = ledger.finished()
        #expect(settles && idles)
    }

    @Test func endingWhatWasNeverBegunChangesNothing() {
        var ledger = WorkLedger()
        let settles = ledger.finishing("x")
        let idles = ledger.finished()
        #expect(!settles && idles && ledger.pending == 0)
    }
}
