/// Time for rate limits and timeouts: a monotonic reading since an arbitrary origin.
/// Tests substitute a clock they advance by hand.
public protocol MonotonicClock: Sendable {
    func now() -> Duration
}

/// The process's continuous clock.
public struct SystemMonotonicClock: MonotonicClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func now() -> Duration { ContinuousClock.now - origin }
}
