import Logging

/// What a channel session needs from the bot that owns it.
struct SessionEnvironment: Sendable {
    var backends: [BackendName: any GenerationBackend]
    /// Where everything the session says goes.
    var outbox: Outbox
    var store: (any ConversationStore)?
    var limiter: Slots
    var breaker: BackendBreaker
    var clock: any MonotonicClock
    /// Where channels with `knowledge:` search the operator's documents.
    var knowledge: (any KnowledgeBase)?
    /// What plugins add to the prompt of each reply.
    var context: PromptContext
    var logger: Logger
    /// Counts a reply that reached its channel (its text, and the message it answers).
    var replySent: @Sendable (InboundMessage, String) async -> Void
    /// Tells the bot whether a question in a knowledge channel was answered (true) or met with
    /// "don't know" (false).
    var knowledgeOutcome: @Sendable (InboundMessage, Bool) async -> Void = { _, _ in }
    /// The model asked to hand the conversation to a person (`[handoff]`).
    var handoffRequested: @Sendable (InboundMessage) async -> Void = { _ in }
    /// True once per channel with a `privacy_notice`, before its first answer: the notice is due.
    var privacyNoticeDue: @Sendable (ChannelKey) async -> Bool = { _ in false }
    /// Marks the end of a job the bot counted as pending: the message it answered is settled.
    var jobFinished: @Sendable (InboundMessage) async -> Void
}
