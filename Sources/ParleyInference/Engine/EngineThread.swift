import Foundation

/// One dedicated thread that runs submitted jobs in order: where the engine's forward passes
/// run, so that they never occupy the Swift cooperative pool.
final class EngineThread: Sendable {
    /// The queue the thread and the submitters share.
    ///
    /// `@unchecked Sendable`: `jobs` and `stopping` are read and written only while holding
    /// `condition`'s lock.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [@Sendable () -> Void] = []
        var stopping = false

        /// The next job, waiting for one; nil once stopping.
        func next() -> (@Sendable () -> Void)? {
            condition.lock()
            defer { condition.unlock() }
            while jobs.isEmpty && !stopping { condition.wait() }
            return jobs.isEmpty ? nil : jobs.removeFirst()
        }
    }

    private let queue = Queue()

    init(name: String) {
        let queue = self.queue
        let thread = Thread {
            while let job = queue.next() { job() }
        }
        thread.name = name
        thread.start()
    }

    deinit {
        queue.condition.lock()
        queue.stopping = true
        queue.condition.broadcast()
        queue.condition.unlock()
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        queue.condition.lock()
        queue.jobs.append(job)
        queue.condition.signal()
        queue.condition.unlock()
    }
}
