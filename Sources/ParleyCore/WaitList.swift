
/// Tasks parked until something happens. A waiter whose task is cancelled leaves at once (from
/// the cancellation handler, which cannot reach an actor's state; hence the lock), so no
/// continuation is ever left hanging, and none is resumed twice.
///
/// `wait(since:)` takes the `generation` the caller read while it decided to wait (on its actor):
/// a `releaseAll()` that came in between, before the waiter parked, is not missed.
public final class WaitList: Sendable {
    private struct State {
        var generation = 0
        var next = 0
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Tickets whose task was cancelled before it parked.
        var gone: Set<Int> = []
    }

    private let state = Locked(State())

    public init() {}

    /// How many times every waiter was let go.
    public var generation: Int { state.withLock { $0.generation } }

    /// Waits until a `releaseAll()` after `generation`, or until the task is cancelled.
    public func wait(since generation: Int) async {
        let ticket = state.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { state -> Bool in
                    if state.gone.remove(ticket) != nil || state.generation != generation { return false }
                    state.waiting[ticket] = continuation
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let continuation = state.waiting.removeValue(forKey: ticket) else {
                    state.gone.insert(ticket)
                    return nil
                }
                return continuation
            }
            continuation?.resume()
        }
    }

    /// Lets every waiter go.
    public func releaseAll() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation += 1
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume() }
    }
}
