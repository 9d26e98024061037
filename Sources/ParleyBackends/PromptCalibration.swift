/// What a server's usage reports teach about Parley's token estimate for it: how many tokens
/// the server really counts per estimated one (`scale`, which the budget divides by), and
/// whether the server cuts prompts short (Ollama's `/v1` silently truncates to its own context
/// size). A value: the backend keeps one behind a lock and acts on what `observe` finds.
struct PromptCalibration: Sendable, Hashable {
    /// Reported tokens per estimated token, smoothed; 1 until a report arrives.
    private(set) var scale = 1.0
    private(set) var reports = 0
    private var warnedOfTruncation = false
    private var warnedOfUnderestimate = false

    /// What one report says that deserves a log line, said once each.
    enum Finding: Sendable, Hashable {
        /// The server counted far fewer tokens than were sent: it cut the prompt.
        case truncated(reported: Int, estimated: Int)
        /// The estimate is low for this server; prompts are made smaller from now on.
        case underestimated(scale: Double)
    }

    /// Below this share of the estimate, a report means the prompt was cut, not that the
    /// estimate (three bytes a token, deliberately generous) was high.
    static let truncationRatio = 0.5
    /// Prompts shorter than this say too little to judge either way.
    static let minimumEstimate = 200
    static let smoothing = 0.3
    static let scaleRange = 0.6...4.0

    mutating func observe(estimated: Int, reported: Int) -> Finding? {
        guard estimated >= Self.minimumEstimate, reported > 0 else { return nil }
        let ratio = Double(reported) / Double(estimated)
        if ratio < Self.truncationRatio {
            // Not a count to learn from: the server did not see the whole prompt.
            guard !warnedOfTruncation else { return nil }
            warnedOfTruncation = true
            return .truncated(reported: reported, estimated: estimated)
        }
        reports += 1
        let clamped = min(max(ratio, Self.scaleRange.lowerBound), Self.scaleRange.upperBound)
        // The first report replaces the guess; later ones move it, but a larger count at once
        // (an overflow is worse than a short prompt).
        scale = reports == 1 || clamped > scale ? clamped : scale + Self.smoothing * (clamped - scale)
        if scale > 1.1 && !warnedOfUnderestimate {
            warnedOfUnderestimate = true
            return .underestimated(scale: scale)
        }
        return nil
    }
}
