
/// Limits how often people may ask the bot for something: per person and per channel, each a
/// token bucket. The first refusal tells the person when to try again; further refusals until
/// they may ask again are silent, so the limit cannot be used to make the bot flood.
public final class RateLimitHook: ModerationHook {
    public let name = "rate_limit"
    private let perUser: RateLimit?
    private let perChannel: RateLimit?
    private let clock: any MonotonicClock
    private let state = Locked(State())

    /// Buckets kept before full (idle) ones are forgotten.
    private static let pruneThreshold = 10_000

    private struct State {
        var users: [UserKey: Limited] = [:]
        var channels: [ChannelKey: Limited] = [:]
    }

    private struct UserKey: Hashable {
        var network: NetworkID
        var user: UserID
    }

    private struct Limited {
        var bucket: TokenBucket
        var warned = false
    }

    public init(perUser: RateLimit?, perChannel: RateLimit?, clock: any MonotonicClock = SystemMonotonicClock()) {
        self.perUser = perUser
        self.perChannel = perChannel
        self.clock = clock
    }

    public func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict {
        guard review.isRequest else { return .allow }
        let now = clock.now()
        return state.withLock { state in
            if let perUser {
                let key = UserKey(network: message.channel.network, user: message.sender.id)
                if let verdict = Self.take(&state.users, key, rate: perUser, now: now, channelWide: false, review: review) {
                    return verdict
                }
            }
            if let perChannel {
                if let verdict = Self.take(
                    &state.channels, message.channel, rate: perChannel, now: now, channelWide: true, review: review)
                {
                    return verdict
                }
            }
            if state.users.count > Self.pruneThreshold {
                state.users = state.users.filter { !$0.value.bucket.isFull(at: now) }
            }
            if state.channels.count > Self.pruneThreshold {
                state.channels = state.channels.filter { !$0.value.bucket.isFull(at: now) }
            }
            return .allow
        }
    }

    /// Takes a token from the bucket under `key`; the verdict when there is none.
    private static func take<Key: Hashable>(
        _ buckets: inout [Key: Limited], _ key: Key, rate: RateLimit, now: Duration, channelWide: Bool, review: InboundReview
    ) -> ModerationVerdict? {
        var limited = buckets[key] ?? Limited(bucket: TokenBucket(rate: rate, now: now))
        defer { buckets[key] = limited }
        if limited.bucket.take(at: now) {
            limited.warned = false
            return nil
        }
        let reason = "rate limit \(rate) exceeded for \(channelWide ? "channel" : "user")"
        if limited.warned { return .drop(reason: reason) }
        limited.warned = true
        let seconds = Int(limited.bucket.wait(at: now).components.seconds) + 1
        return .respond(review.text(.rateLimited(channelWide: channelWide, seconds: seconds)), reason: reason)
    }
}
