import ParleyCore

/// One request in flight: forwards events into the caller's stream and keeps its idle and
/// total limits on the clock, whatever carries the bytes. `Sendable`: the continuation is, and
/// the rest is behind a mutex.
final class HTTPTransfer: Sendable {
    private let continuation: AsyncThrowingStream<HTTPStreamEvent, any Error>.Continuation
    private let clock: any MonotonicClock
    private let idle: Duration
    private let total: Duration
    private let started: Duration
    private let state: Locked<(lastActivity: Duration, watchdog: Task<Void, Never>?, done: Bool)>

    init(continuation: AsyncThrowingStream<HTTPStreamEvent, any Error>.Continuation, clock: any MonotonicClock, request: HTTPRequest) {
        self.continuation = continuation
        self.clock = clock
        idle = request.idleTimeout
        total = request.totalTimeout
        started = clock.now()
        state = Locked((started, nil, false))
    }

    /// Whether the caller still reads: not finished, failed, timed out or abandoned.
    var isOpen: Bool { !state.withLock { $0.done } }

    func received(_ event: HTTPStreamEvent) {
        let now = clock.now()
        guard state.withLock({ state -> Bool in
            state.lastActivity = now
            return !state.done
        }) else { return }
        continuation.yield(event)
    }

    func finish() {
        guard close() else { return }
        continuation.finish()
    }

    func fail(_ error: any Error) {
        guard close() else { return }
        continuation.finish(throwing: error)
    }

    /// Marks the transfer done; false if it already was.
    private func close() -> Bool {
        let (first, watchdog) = state.withLock { state in
            defer { state.done = true; state.watchdog = nil }
            return (!state.done, state.watchdog)
        }
        watchdog?.cancel()
        return first
    }

    /// Starts the timer that fails the transfer at its idle or total limit.
    func watch() {
        let watchdog = Task { [self] in
            while !Task.isCancelled {
                let now = clock.now()
                let last = state.withLock { $0.lastActivity }
                if now - started >= total { return fail(HTTPError.totalTimeout(total)) }
                if now - last >= idle { return fail(HTTPError.idleTimeout(idle)) }
                let next = min(last + idle, started + total)
                do { try await clock.sleep(for: next - now) } catch { return }
            }
        }
        let finished = state.withLock { state -> Bool in
            if !state.done { state.watchdog = watchdog }
            return state.done
        }
        if finished { watchdog.cancel() }
    }

    func stopWatching() {
        let watchdog = state.withLock { state in
            defer { state.watchdog = nil }
            return state.watchdog
        }
        watchdog?.cancel()
    }
}
