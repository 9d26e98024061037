#if canImport(Glibc)
import Glibc
#endif

/// A value behind a POSIX mutex, for state a thread outside Swift concurrency shares with tasks
/// (a socket's thread, a log handler, a test double).
///
/// Why not the standard library's `Mutex`: on Linux it locks with futex system calls inside the
/// uninstrumented Synchronization library, so ThreadSanitizer cannot see it and reports every
/// access it guards as a race (a two-thread counter does; measured with Swift 6.3.1, the note of
/// issue 17). `pthread_mutex_lock` is intercepted by the sanitizer, so the suites run clean under
/// TSan and a real race still shows. Uncontended, it costs what `Mutex` does.
///
/// `@unchecked Sendable`: `value` is read and written only inside `withLock`, while `mutex` is
/// held; the mutex is allocated once and freed in `deinit`, when no other reference exists.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value, the lock held; keep it short and never wait inside it.
    @discardableResult
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
