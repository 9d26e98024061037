@testable import ParleyIRC
import Testing

@Suite struct FloodControlTests {
    @Test func aBurstGoesAtOnceThenOneLinePerInterval() {
        var bucket = FloodBucket(FloodControl(burst: 3, interval: .seconds(2)), now: .zero)
        // Ten lines queued at time zero, each written when its wait is over.
        var now = Duration.zero
        var sentAt: [Duration] = []
        for _ in 0..<10 {
            now += bucket.reserve(at: now)
            sentAt.append(now)
        }
        #expect(sentAt == [0, 0, 0, 2, 4, 6, 8, 10, 12, 14].map { Duration.seconds($0) })
    }

    @Test func theBucketRefillsWhileIdle() {
        var bucket = FloodBucket(FloodControl(burst: 2, interval: .seconds(1)), now: .zero)
        #expect(bucket.reserve(at: .zero) == .zero)
        #expect(bucket.reserve(at: .zero) == .zero)
        #expect(bucket.reserve(at: .zero) == .seconds(1))
        // Long idle: a full burst again, never more.
        #expect(bucket.reserve(at: .seconds(60)) == .zero)
        #expect(bucket.reserve(at: .seconds(60)) == .zero)
        #expect(bucket.reserve(at: .seconds(60)) == .seconds(1))
    }

    // Issue 20: a line that may go at once skips the write loop's turn; the check agrees with
    // the wait `reserve` would give, and takes nothing.
    @Test func allowsALineExactlyWhenReservingWouldNotWait() {
        var bucket = FloodBucket(FloodControl(burst: 2, interval: .seconds(1)), now: .zero)
        for now in stride(from: 0, through: 6, by: 1).map({ Duration.milliseconds($0 * 250) }) {
            let allowed = bucket.allowsLine(at: now)
            #expect(allowed == bucket.allowsLine(at: now), "asking takes nothing")
            var trial = bucket
            #expect(allowed == (trial.reserve(at: now) == .zero), "at \(now)")
            _ = bucket.reserve(at: now)
        }
    }

    // Issue 20: `flood: off` never makes a line wait, and the bucket always counts as full.
    @Test func offNeverWaits() {
        var bucket = FloodBucket(.off, now: .zero)
        var waited = Duration.zero
        for _ in 0..<10_000 { waited += bucket.reserve(at: .seconds(5)) }
        #expect(waited == .zero)
        #expect(bucket.isFull(at: .seconds(5)) && FloodControl.off.isOff && !FloodControl().isOff)
    }
}
