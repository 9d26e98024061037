/// Time for everything that measures or waits: rate limits, timeouts, backoff, pacing, edit
/// throttling. A monotonic reading since an arbitrary origin, and a sleep on the same time.
/// Tests substitute a clock they advance by hand (`ParleyTesting.TestClock`).
public protocol MonotonicClock: Sendable {
    func now() -> Duration
    /// Suspends for `duration` of this clock's time; throws `CancellationError` if the task is
    /// cancelled meanwhile.
    func sleep(for duration: Duration) async throws
}

/// The process's continuous clock.
public struct SystemMonotonicClock: MonotonicClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func now() -> Duration { ContinuousClock.now - origin }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}
