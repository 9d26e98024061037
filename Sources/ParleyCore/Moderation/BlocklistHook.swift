public import Foundation

/// Patterns people may not send, or the bot may not say, each with what to do on a match.
public struct BlocklistHook: ModerationHook {
    /// What happens when a rule matches.
    public enum Action: Sendable, Hashable {
        case drop
        case respond(String)
        case escalate
        case act(ModerationAction.Kind)
    }

    /// Which side of the conversation a rule watches.
    public enum Direction: String, Sendable, Hashable, CaseIterable {
        case inbound, outbound, both
    }

    /// One pattern and its consequence.
    public struct Rule: Sendable {
        public var pattern: NSRegularExpression
        public var action: Action
        public var direction: Direction

        public init(pattern: NSRegularExpression, action: Action, direction: Direction = .inbound) {
            self.pattern = pattern
            self.action = action
            self.direction = direction
        }
    }

    public let name = "blocklist"
    public let rules: [Rule]

    public init(rules: [Rule]) {
        self.rules = rules
    }

    public func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict {
        guard let rule = firstMatch(in: message.text, direction: .inbound) else { return .allow }
        let reason = "matches blocklist pattern /\(rule.pattern.pattern)/"
        return switch rule.action {
        case .drop: .drop(reason: reason)
        case .respond(let text): .respond(text, reason: reason)
        case .escalate: .escalate(reason: reason)
        case .act(let kind):
            .act(ModerationAction(kind: kind, target: message.sender, message: message.id, reason: reason),
                 reason: reason)
        }
    }

    public func review(draft: String, _ review: OutboundReview) async -> ModerationVerdict {
        guard let rule = firstMatch(in: draft, direction: .outbound) else { return .allow }
        return .drop(reason: "reply matches blocklist pattern /\(rule.pattern.pattern)/")
    }

    private func firstMatch(in text: String, direction: Direction) -> Rule? {
        let range = NSRange(text.startIndex..., in: text)
        return rules.first { rule in
            (rule.direction == direction || rule.direction == .both)
                && rule.pattern.firstMatch(in: text, range: range) != nil
        }
    }
}
