import CoreMetrics

/// Every metric Parley reports through swift-metrics: its Prometheus name, its help text, and
/// the labels it may carry. Labels are bounded: a network, backend or plugin name from the
/// config, a fixed action or direction — never a user or a channel name from outside.
public enum ParleyMetric: String, Sendable, CaseIterable {
    case messagesReceived = "parley_messages_received_total"
    case messagesSent = "parley_messages_sent_total"
    case replies = "parley_replies_total"
    case generatedTokens = "parley_generated_tokens_total"
    case tokensPerSecond = "parley_generation_tokens_per_second"
    case timeToFirstToken = "parley_time_to_first_token_seconds"
    case replyLatency = "parley_reply_latency_seconds"
    case queuedQuestions = "parley_queued_questions"
    case inboundBacklog = "parley_inbound_backlog"
    case moderationVerdicts = "parley_moderation_verdicts_total"
    case reconnects = "parley_reconnects_total"
    case matrixSyncLag = "parley_matrix_sync_lag_seconds"
    case backendErrors = "parley_backend_errors_total"
    case backendFallbacks = "parley_backend_fallbacks_total"
    case pluginCalls = "parley_plugin_calls_total"
    case pluginCrashes = "parley_plugin_crashes_total"

    public var help: String {
        switch self {
        case .messagesReceived: "Messages the bot received, per network."
        case .messagesSent: "Messages the bot sent, per network."
        case .replies: "Model replies delivered, per network."
        case .generatedTokens: "Tokens generated (streamed pieces), per backend."
        case .tokensPerSecond: "Generation speed of each reply, in tokens per second, per backend."
        case .timeToFirstToken: "Time from the start of a generation to its first token, per backend."
        case .replyLatency: "Time from a question's arrival to its reply's end, per network."
        case .queuedQuestions: "Questions waiting in channel queues."
        case .inboundBacklog: "Inbound events waiting for the bot."
        case .moderationVerdicts: "Moderation verdicts other than allow, per action and direction."
        case .reconnects: "Connections made again after a loss, per network."
        case .matrixSyncLag: "Age of the newest event in the last Matrix sync batch, per network."
        case .backendErrors: "Generations that failed, per backend."
        case .backendFallbacks: "Replies written by a fallback backend, per backend that answered."
        case .pluginCalls: "Calls made to plugin programs, per plugin."
        case .pluginCrashes: "Plugin programs that stopped and were restarted, per plugin."
        }
    }

    /// The buckets of a histogram (seconds, or tokens per second).
    public var buckets: [Double]? {
        switch self {
        case .timeToFirstToken: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30]
        case .replyLatency: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120]
        case .tokensPerSecond: [1, 2, 5, 10, 20, 50, 100, 200, 500]
        default: nil
        }
    }

    /// Adds `amount` to a counter.
    public func increment(by amount: Int = 1, _ labels: [(String, String)] = []) {
        Counter(label: rawValue, dimensions: labels).increment(by: amount)
    }

    /// Records a value in a histogram, or sets a gauge.
    public func record(_ value: Double, _ labels: [(String, String)] = []) {
        Recorder(label: rawValue, dimensions: labels, aggregate: buckets != nil).record(value)
    }

    /// Moves a gauge up or down.
    public func adjust(by delta: Double) {
        let meter = Meter(label: rawValue)
        if delta >= 0 { meter.increment(by: delta) } else { meter.decrement(by: -delta) }
    }
}
