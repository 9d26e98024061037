@testable import ParleyIRC
import Testing

// Issue 19, item 6: CTCP answers are limited per person, queued within a bound, and written only
// when they cannot delay a reply.
@Suite struct CTCPRepliesTests {
    @Test func sixtyRequestsFromOneNickGetOneAnswerPerInterval() {
        var replies = CTCPReplies()
        let accepted = (0..<60).filter { _ in replies.offer([1], from: "bob", now: .seconds(5)) }.count
        #expect(accepted == 1)
        #expect(replies.offer([1], from: "bob", now: .seconds(14)) == false)
        #expect(replies.offer([1], from: "bob", now: .seconds(15)) == true)
        #expect(replies.takeDropped() == 60)
    }

    @Test func tenThousandRequestsFromManyNicksQueueNoMoreThanTheCapacity() {
        var replies = CTCPReplies()
        let accepted = (0..<10_000).filter { replies.offer([UInt8($0 % 256)], from: "nick\($0)", now: .zero) }.count
        #expect(accepted == replies.capacity && replies.waiting.count == replies.capacity)
    }

    @Test func anAnswerWaitsForAFullBucketAndLeavesTheRestOfTheBurstToReplies() {
        var replies = CTCPReplies()
        var bucket = FloodBucket(FloodControl(burst: 4, interval: .seconds(1)), now: .zero)
        _ = replies.offer([1], from: "a", now: .zero)
        _ = replies.offer([2], from: "b", now: .zero)
        #expect(replies.next(bucket: &bucket, now: .zero) == [1])
        // The bucket is no longer full: the second answer waits, and a reply still goes at once.
        #expect(replies.next(bucket: &bucket, now: .zero) == nil)
        #expect(bucket.reserve(at: .zero) == .zero)
        #expect(replies.next(bucket: &bucket, now: .seconds(1)) == nil)
        #expect(replies.next(bucket: &bucket, now: .seconds(2)) == [2])
    }
}
