/// Which backends failed a moment ago and sit out a cooldown, so that a dead backend costs one
/// attempt per cooldown instead of one per message (and a fallback answers at once meanwhile).
/// After the cooldown one message tries it again; a success brings it back, a failure doubles
/// the cooldown, up to `maximumCooldown`. A value; the bot keeps it in a `BackendBreaker`.
struct BackendHealth: Sendable {
    var cooldown: Duration = .seconds(30)
    var maximumCooldown: Duration = .seconds(300)
    /// Until when each failed backend is not asked, and how many times in a row it failed.
    private var resting: [BackendName: (until: Duration, failures: Int)] = [:]

    /// Whether `backend` may be asked now. A backend past its cooldown is let through once: the
    /// next one through waits for another cooldown unless that attempt succeeds.
    mutating func take(_ backend: BackendName, at now: Duration) -> Bool {
        guard let rest = resting[backend] else { return true }
        guard rest.until <= now else { return false }
        resting[backend] = (now + delay(after: rest.failures), rest.failures)
        return true
    }

    /// The attempt failed: the backend rests; returns until when.
    @discardableResult
    mutating func failed(_ backend: BackendName, at now: Duration) -> Duration {
        let failures = (resting[backend]?.failures ?? 0) + 1
        let until = now + delay(after: failures)
        resting[backend] = (until, failures)
        return until
    }

    mutating func succeeded(_ backend: BackendName) {
        resting[backend] = nil
    }

    private func delay(after failures: Int) -> Duration {
        min(cooldown * (1 << min(max(failures - 1, 0), 16)), maximumCooldown)
    }
}

/// The bot's one `BackendHealth`, shared by its sessions.
actor BackendBreaker {
    private var health = BackendHealth()
    private let clock: any MonotonicClock

    init(clock: any MonotonicClock) {
        self.clock = clock
    }

    func take(_ backend: BackendName) -> Bool {
        health.take(backend, at: clock.now())
    }

    /// Returns how long the backend now rests.
    func failed(_ backend: BackendName) -> Duration {
        let now = clock.now()
        return health.failed(backend, at: now) - now
    }

    func succeeded(_ backend: BackendName) {
        health.succeeded(backend)
    }

    /// After a reload: backends may have been mended.
    func reset() {
        health = BackendHealth()
    }
}
