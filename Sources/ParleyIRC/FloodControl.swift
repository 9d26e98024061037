/// Paces the lines the bot writes so that the server never sees a flood: `burst` lines may go at
/// once, then one every `interval` (a token bucket that refills one line per interval). The
/// defaults stay under the stock limits of inspircd, solanum (Libera.Chat) and hybrid (OFTC).
public struct FloodControl: Sendable, Hashable {
    public var burst: Int
    public var interval: Duration

    public init(burst: Int = 4, interval: Duration = .milliseconds(1200)) {
        self.burst = max(1, burst)
        self.interval = max(.milliseconds(1), interval)
    }

    private init(unpaced: Void) {
        burst = 1
        interval = .zero
    }

    /// No pacing at all (`flood: off`): only for a network that exempts the bot from its flood
    /// limits; the connector warns when it connects.
    public static let off = FloodControl(unpaced: ())

    public var isOff: Bool { interval == .zero }
}

/// The bucket itself, in time: `clear` is when the bucket is full again. A line may go once
/// `clear - (burst - 1) × interval` has passed; each line pushes `clear` one interval further.
struct FloodBucket: Sendable {
    let control: FloodControl
    private var clear: Duration

    init(_ control: FloodControl, now: Duration) {
        self.control = control
        clear = now
    }

    /// Whether every line of the burst is available: a line taken now leaves the others free.
    func isFull(at now: Duration) -> Bool {
        clear <= now
    }

    /// Whether a line may be written at once.
    func allowsLine(at now: Duration) -> Bool {
        max(clear, now) - control.interval * (control.burst - 1) <= now
    }

    /// Takes the next line's turn: how long to wait before writing it.
    mutating func reserve(at now: Duration) -> Duration {
        clear = max(clear, now)
        let allowedAt = clear - control.interval * (control.burst - 1)
        clear += control.interval
        return max(.zero, allowedAt - now)
    }
}
