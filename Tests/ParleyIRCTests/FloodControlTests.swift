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
}
