/// Exponential backoff with jitter, the one rule every retry in Parley follows (reconnects,
/// sync errors, HTTP retries, a network that failed): after the n-th failure in a row, a wait
/// drawn from the upper half of `base × 2^(n-1)`, capped at `cap`. The jitter keeps many
/// clients that failed together from coming back together.
public struct Backoff: Sendable, Hashable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = max(base, cap)
    }

    /// The longest wait after `failures` failures in a row (at least one).
    public func ceiling(after failures: Int) -> Duration {
        let exponent = min(max(0, failures - 1), 30)
        let doubling = Double(1 << exponent)
        return base.inSeconds * doubling >= cap.inSeconds ? cap : base * doubling
    }

    /// The wait after `failures` failures in a row: between half the ceiling and all of it.
    public func delay(after failures: Int, random: Double = Double.random(in: 0.5...1.0)) -> Duration {
        ceiling(after: failures) * min(1, max(0.5, random))
    }
}
