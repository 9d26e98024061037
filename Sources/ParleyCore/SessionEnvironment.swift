import Logging

/// What a channel session needs from the bot that owns it.
struct SessionEnvironment: Sendable {
    var backends: [BackendName: any GenerationBackend]
    /// Where everything the session says goes.
    var outbox: Outbox
    var store: (any ConversationStore)?
    var limiter: GenerationLimiter
    var clock: any MonotonicClock
    /// Where channels with `knowledge:` search the operator's documents.
    var knowledge: (any KnowledgeBase)?
    /// What plugins add to the prompt of each reply.
    var context: PromptContext
    var logger: Logger
    /// Counts a reply that reached its channel (its text, and the message it answers).
    var replySent: @Sendable (InboundMessage, String) async -> Void
    /// Marks the end of a job the bot counted as pending: the message it answered is settled.
    var jobFinished: @Sendable (InboundMessage) async -> Void
}
