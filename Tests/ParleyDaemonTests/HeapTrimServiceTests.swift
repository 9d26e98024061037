@testable import ParleyDaemon
import ParleyCore
import ParleyTesting
import Testing

@Suite struct HeapTrimServiceTests {
    @Test func trimsTheHeapOncePerIntervalUntilCancelled() async throws {
        let clock = TestClock()
        let trims = Locked(0)
        let service = HeapTrimService(interval: .seconds(60), clock: clock, trim: { trims.withLock { $0 += 1 } })
        let running = Task { try await service.run() }
        for round in 1...3 {
            _ = try await eventually("the service waits") { clock.sleepers == 1 ? true : nil }
            #expect(trims.withLock { $0 } == round - 1, "nothing before the interval is over")
            clock.advance(by: .seconds(60))
            _ = try await eventually("trim \(round)") { trims.withLock { $0 } == round ? true : nil }
        }
        running.cancel()
        _ = await running.result
        #expect(trims.withLock { $0 } == 3)
    }

    @Test func theRealTrimRunsWithoutHarm() {
        HeapTrimService.releaseFreePages()
    }
}
