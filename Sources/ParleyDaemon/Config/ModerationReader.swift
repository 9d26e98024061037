import Foundation
import ParleyCore

/// Reads the `moderation` section.
enum ModerationReader {
    static func read(_ node: ConfigNode?) throws -> ModerationConfiguration {
        var moderation = ModerationConfiguration(
            perUser: RateLimit(count: 5, period: .seconds(60)),
            perChannel: RateLimit(count: 20, period: .seconds(60)),
            maxInputCharacters: 2000, maxMentionsPerReply: 3, ignore: [], blocklist: [])
        guard let node else { return moderation }
        let map = try node.mapping(keys: ["rate_limit", "max_input_chars", "max_mentions_per_reply", "ignore", "blocklist"])
        if let rateLimit = map["rate_limit"] {
            let rates = try rateLimit.mapping(keys: ["per_user", "per_channel"])
            if let perUser = rates["per_user"] { moderation.perUser = try rate(perUser) }
            if let perChannel = rates["per_channel"] { moderation.perChannel = try rate(perChannel) }
        }
        if let max = map["max_input_chars"] { moderation.maxInputCharacters = try max.int(in: 1...1_000_000) }
        if let max = map["max_mentions_per_reply"] { moderation.maxMentionsPerReply = try max.int(in: 0...100) }
        if let ignore = map["ignore"] { moderation.ignore = try ignore.stringList() }
        if let blocklist = map["blocklist"] { moderation.blocklist = try blocklist.list().map(rule) }
        return moderation
    }

    /// `5/min`, or `off` for no limit.
    private static func rate(_ node: ConfigNode) throws -> RateLimit? {
        let text = try node.string()
        if text.lowercased() == "off" { return nil }
        guard let rate = RateLimit(parsing: text) else {
            throw node.invalid("'\(text)' is not a rate; write COUNT/PERIOD with PERIOD one of s, min, hour, day (e.g. 5/min), or off")
        }
        return rate
    }

    private static let actions: [(String, BlocklistHook.Action?)] = [
        ("drop", .drop), ("respond", nil), ("escalate", .escalate),
        ("kick", .act(.kick)), ("ban", .act(.ban)), ("quiet", .act(.quiet)), ("redact", .act(.redact)),
    ]

    private static func rule(_ node: ConfigNode) throws -> BlocklistHook.Rule {
        let map = try node.mapping(keys: ["pattern", "action", "message", "direction", "case_sensitive"])
        let patternNode = try map.required("pattern")
        let pattern = try patternNode.nonEmptyString()
        let caseSensitive = try map["case_sensitive"]?.bool() ?? false
        let regex: NSRegularExpression
        do {
            regex = try NSRegularExpression(pattern: pattern, options: caseSensitive ? [] : [.caseInsensitive])
        } catch {
            throw patternNode.invalid("'\(pattern)' is not a valid regular expression (ICU syntax)")
        }
        var action = BlocklistHook.Action.drop
        if let actionNode = map["action"] {
            action = try actionNode.choice(actions) ?? .respond(
                try map.required("message").nonEmptyString())
        }
        if let message = map["message"] {
            // A message with any other action (or none: drop) would be ignored without a word.
            guard case .respond = action else {
                throw message.invalid("a message is what 'action: respond' says; add action: respond, or remove the message")
            }
        }
        let direction = try map["direction"]?.choice(BlocklistHook.Direction.allCases.map { ($0.rawValue, $0) }) ?? .inbound
        return BlocklistHook.Rule(pattern: regex, action: action, direction: direction)
    }
}
