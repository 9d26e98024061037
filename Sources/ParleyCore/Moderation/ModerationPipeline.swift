/// Runs moderation hooks in order: the first verdict other than `allow` or `rewrite` decides;
/// a `rewrite` hands its text to the next hook.
struct ModerationPipeline: Sendable {
    /// The pipeline's decision.
    enum Outcome<Value> {
        /// Go on, with the value as the hooks left it.
        case proceed(Value, rewrites: [(hook: String, reason: String)])
        case stop(ModerationVerdict, hook: String)
    }

    var hooks: [any ModerationHook]

    func review(_ message: InboundMessage, isRequest: Bool, policy: ChannelPolicy? = nil) async -> Outcome<InboundMessage> {
        var message = message
        var rewrites: [(hook: String, reason: String)] = []
        for hook in hooks {
            let verdict = await hook.review(message, InboundReview(isRequest: isRequest, words: policy))
            switch verdict {
            case .allow: continue
            case .rewrite(let text, let reason):
                message.rewrite(to: text)
                rewrites.append((hook.name, reason))
            default: return .stop(verdict, hook: hook.name)
            }
        }
        return .proceed(message, rewrites: rewrites)
    }

    func review(draft: String, _ review: OutboundReview) async -> Outcome<String> {
        var draft = draft
        var rewrites: [(hook: String, reason: String)] = []
        for hook in hooks {
            let verdict = await hook.review(draft: draft, review)
            switch verdict {
            case .allow: continue
            case .rewrite(let text, let reason):
                draft = text
                rewrites.append((hook.name, reason))
            default: return .stop(verdict, hook: hook.name)
            }
        }
        return .proceed(draft, rewrites: rewrites)
    }
}
