import Foundation

/// A token bucket: `capacity` tokens, refilled continuously at `rate.count` per `rate.period`.
struct TokenBucket: Sendable {
    let rate: RateLimit
    private(set) var tokens: Double
    private var updated: Duration

    init(rate: RateLimit, now: Duration) {
        self.rate = rate
        self.tokens = Double(rate.count)
        self.updated = now
    }

    /// Takes one token if there is one.
    mutating func take(at now: Duration) -> Bool {
        refill(at: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// How long until a token is available.
    func wait(at now: Duration) -> Duration {
        var copy = self
        copy.refill(at: now)
        guard copy.tokens < 1 else { return .zero }
        return rate.period * ((1 - copy.tokens) / Double(rate.count))
    }

    /// Whether the bucket is full, so that forgetting it changes nothing.
    func isFull(at now: Duration) -> Bool {
        var copy = self
        copy.refill(at: now)
        return copy.tokens >= Double(rate.count)
    }

    private mutating func refill(at now: Duration) {
        let elapsed = now - updated
        guard elapsed > .zero else { return }
        tokens = min(Double(rate.count), tokens + Double(rate.count) * (elapsed / rate.period))
        updated = now
    }
}

/// A rate such as `5/min`: `count` events per `period`.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    public var count: Int
    public var period: Duration

    public init(count: Int, period: Duration) {
        self.count = count
        self.period = period
    }

    /// Parses `N/s`, `N/sec`, `N/min`, `N/hour` (also `N/h`, `N/m`); nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let count = Int(parts[0].trimmingCharacters(in: .whitespaces)), count > 0
        else { return nil }
        switch parts[1].trimmingCharacters(in: .whitespaces).lowercased() {
        case "s", "sec", "second": period = .seconds(1)
        case "m", "min", "minute": period = .seconds(60)
        case "h", "hour": period = .seconds(3600)
        case "d", "day": period = .seconds(86400)
        default: return nil
        }
        self.count = count
    }

    public var description: String {
        let unit = switch period {
        case .seconds(1): "s"
        case .seconds(60): "min"
        case .seconds(3600): "hour"
        case .seconds(86400): "day"
        default: "\(period)"
        }
        return "\(count)/\(unit)"
    }
}
