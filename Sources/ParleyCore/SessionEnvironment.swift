import Logging

/// What a channel session needs from the bot that owns it.
struct SessionEnvironment: Sendable {
    var connector: any Connector
    var backends: [String: any GenerationBackend]
    var outbound: ModerationPipeline
    var store: (any ConversationStore)?
    var limiter: GenerationLimiter
    var logger: Logger
    /// Time for throttling edits of a streamed reply.
    var clock: any MonotonicClock
    /// Reports a moderation verdict other than allow about an outbound part.
    var reportOutbound: @Sendable (ModerationVerdict, _ hook: String, _ channel: ChannelKey) async -> Void
    /// Counts a reply that reached its channel.
    var replySent: @Sendable () async -> Void
    /// Marks the end of a job the bot counted as pending: the message it answered is settled.
    var jobFinished: @Sendable (InboundMessage) async -> Void
}
