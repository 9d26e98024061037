import CParleyKernels
import Foundation
import Synchronization

/// The engine's own worker threads, never the Swift cooperative pool: CPU-heavy kernels run
/// here so that sockets and timers stay answered while a model thinks.
///
/// `run(_:)` calls its body once on every thread (the caller is thread 0) and returns when all
/// are done. Workers spin briefly between jobs, since a token's forward pass issues hundreds of
/// small jobs back to back, then sleep on a condition until the next one.
///
/// Memory ordering: the caller writes `job` before incrementing `generation` with release
/// ordering; a worker that observes the new generation with acquire ordering therefore sees the
/// job. Workers decrement `pending` with release ordering after their part; the caller's acquire
/// load of zero makes every worker's writes visible before `run` returns.
///
/// `@unchecked Sendable`: `job` is the only non-atomic shared field, written only by the caller
/// while no worker reads it (before publication and after all have finished), as argued above;
/// `sleeping` and `stopping` are guarded by `condition`.
final class ThreadPool: @unchecked Sendable {
    let threadCount: Int
    private let shared: Shared

    /// Spins before a worker sleeps: roughly a millisecond.
    private static let spinLimit = 50_000

    /// What the caller and the workers share; workers hold it, so it outlives the pool until
    /// they have seen `stopping`.
    private final class Shared: @unchecked Sendable {
        let generation = Atomic<Int>(0)
        let pending = Atomic<Int>(0)
        /// The next chunk of a `forEachChunk` job.
        let nextChunk = Atomic<Int>(0)
        var job: ((Int) -> Void)?
        let condition = NSCondition()
        var sleeping = 0
        var stopping = false
    }

    init(threads: Int) {
        threadCount = max(1, threads)
        shared = Shared()
        for index in 1..<threadCount {
            let shared = self.shared
            let thread = Thread { Self.work(index: index, shared: shared) }
            thread.name = "parley.engine.\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit {
        shared.condition.lock()
        shared.stopping = true
        shared.generation.add(1, ordering: .releasing)
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Runs `body(threadIndex)` on every thread and waits for all of them. Not reentrant: one
    /// job at a time (callers serialise through the engine).
    func run(_ body: (Int) -> Void) {
        guard threadCount > 1 else {
            body(0)
            return
        }
        let shared = self.shared
        withoutActuallyEscaping(body) { body in
            shared.job = body
            shared.pending.store(threadCount - 1, ordering: .relaxed)
            shared.condition.lock()
            shared.generation.add(1, ordering: .releasing)
            if shared.sleeping > 0 { shared.condition.broadcast() }
            shared.condition.unlock()
            body(0)
            while shared.pending.load(ordering: .acquiring) > 0 { pk_cpu_relax() }
            shared.job = nil
        }
    }

    /// Runs `body(chunk)` once for every chunk in `0..<count`, the threads taking the next one
    /// as they become free: a thread that is slowed (a busy core, a shared machine) does less,
    /// instead of every thread waiting for it at the end.
    func forEachChunk(_ count: Int, _ body: (Int) -> Void) {
        guard threadCount > 1, count > 1 else {
            for chunk in 0..<count { body(chunk) }
            return
        }
        let shared = self.shared
        shared.nextChunk.store(0, ordering: .relaxed)  // published to the workers by run's release
        run { _ in
            while true {
                let chunk = shared.nextChunk.add(1, ordering: .relaxed).oldValue
                guard chunk < count else { return }
                body(chunk)
            }
        }
    }

    /// Splits `0..<count` into one contiguous range per thread and runs `body` on each.
    func parallelFor(_ count: Int, _ body: (Range<Int>) -> Void) {
        let threads = threadCount
        run { index in
            let start = count * index / threads
            let end = count * (index + 1) / threads
            if start < end { body(start..<end) }
        }
    }

    private static func work(index: Int, shared: Shared) {
        var seen = 0
        while true {
            var spins = 0
            while shared.generation.load(ordering: .acquiring) == seen {
                if spins < spinLimit {
                    spins += 1
                    pk_cpu_relax()
                    continue
                }
                shared.condition.lock()
                shared.sleeping += 1
                while shared.generation.load(ordering: .acquiring) == seen && !shared.stopping {
                    shared.condition.wait()
                }
                shared.sleeping -= 1
                shared.condition.unlock()
            }
            shared.condition.lock()
            let stop = shared.stopping
            shared.condition.unlock()
            if stop { return }
            seen = shared.generation.load(ordering: .acquiring)
            shared.job?(index)
            shared.pending.subtract(1, ordering: .releasing)
        }
    }
}
