public import ParleyCore
import Synchronization

/// A monotonic clock that moves only when a test advances it.
public final class TestClock: MonotonicClock {
    private let current = Mutex(Duration.zero)

    public init() {}

    public func now() -> Duration { current.withLock { $0 } }

    public func advance(by duration: Duration) {
        current.withLock { $0 += duration }
    }
}
