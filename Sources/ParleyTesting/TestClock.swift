public import ParleyCore

/// A monotonic clock that moves only when a test advances it. `sleep` parks the caller until
/// `advance` carries the clock past its deadline, so a test drives every wait (a backoff, a
/// typing renewal, a drain timer) by hand instead of sleeping.
public final class TestClock: MonotonicClock {
    private struct Sleeper {
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Duration.zero
        var next = 0
        var sleepers: [Int: Sleeper] = [:]
        /// Sleeps cancelled before they parked.
        var gone: Set<Int> = []
    }

    private let state = Locked(State())

    public init() {}

    public func now() -> Duration { state.withLock { $0.now } }

    /// How many tasks are asleep on this clock now (a test waits for a loop to park before it
    /// advances the clock).
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        let ticket = state.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case parked, due, cancelled }
                let outcome = state.withLock { state -> Outcome in
                    if state.gone.remove(ticket) != nil { return .cancelled }
                    if duration <= .zero { return .due }
                    state.sleepers[ticket] = Sleeper(deadline: state.now + duration, continuation: continuation)
                    return .parked
                }
                switch outcome {
                case .parked: break
                case .due: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let sleeper = state.sleepers.removeValue(forKey: ticket) else {
                    state.gone.insert(ticket)
                    return nil
                }
                return sleeper
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock on, waking every sleeper whose time has come.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now += duration
            let ready = state.sleepers.filter { $0.value.deadline <= state.now }
            for key in ready.keys { state.sleepers[key] = nil }
            return ready.values.sorted { $0.deadline < $1.deadline }.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }
}
