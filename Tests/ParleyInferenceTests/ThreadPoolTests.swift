import Foundation
@testable import ParleyInference
import Synchronization
import Testing

@Suite struct ThreadPoolTests {
    @Test func everyChunkRunsOnceAndAFreeThreadTakesTheSlowOnesShare() {
        let pool = ThreadPool(threads: 3)
        for count in [0, 1, 2, 7, 100] {
            let runs = Mutex([Int](repeating: 0, count: count))
            pool.forEachChunk(count) { chunk in runs.withLock { $0[chunk] += 1 } }
            #expect(runs.withLock { $0 } == [Int](repeating: 1, count: count), "\(count) chunks")
        }
        // Chunk 0 holds its thread until every other chunk is done (giving up after 20 s): with
        // fixed shares, the chunks after it in that thread's share could not run meanwhile.
        let done = Atomic<Int>(0)
        let sawAllWhileHeld = Atomic<Bool>(false)
        pool.forEachChunk(30) { chunk in
            if chunk == 0 {
                let deadline = Date().addingTimeInterval(20)
                while done.load(ordering: .acquiring) < 29 && Date() < deadline { usleep(100) }
                sawAllWhileHeld.store(done.load(ordering: .acquiring) == 29, ordering: .relaxed)
            } else {
                done.add(1, ordering: .releasing)
            }
        }
        let tookEveryChunk = sawAllWhileHeld.load(ordering: .relaxed)
        #expect(tookEveryChunk, "the other threads took every chunk while one was held")
        // The pool is reusable afterwards, its counter reset.
        let sum = Atomic<Int>(0)
        pool.forEachChunk(10) { chunk in sum.add(chunk, ordering: .relaxed) }
        let total = sum.load(ordering: .relaxed)
        #expect(total == 45)
    }
}
