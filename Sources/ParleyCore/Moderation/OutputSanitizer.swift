import Foundation

/// The last outbound hook, always on: removes what must never reach a network from a reply.
///
/// - Control characters (C0 except line feed, DEL, C1) and the Unicode line and paragraph
///   separators are removed or turned into plain line feeds; a tab becomes a space. A carriage
///   return is dropped, so CR LF becomes one line feed. Line feeds stay: each connector's
///   splitter makes separate lines (or one multi-line event) of them, so they can never start a
///   second protocol command. IRC formatting codes are C0 controls and go too.
/// - Mentions beyond `maxMentions` distinct known names are defused by a zero-width space after
///   the name's first character, so one reply cannot highlight a whole channel.
public struct OutputSanitizer: ModerationHook {
    public let name = "output_sanitizer"
    public let maxMentions: Int

    public init(maxMentions: Int = 3) {
        self.maxMentions = maxMentions
    }

    public func review(draft: String, _ review: OutboundReview) async -> ModerationVerdict {
        var text = Self.removingControlCharacters(from: draft)
        var reasons: [String] = []
        if text != draft { reasons.append("control characters removed") }
        let defused = defusingMentions(in: text, names: review.knownNames)
        if defused.count > 0 {
            text = defused.text
            reasons.append("\(defused.count) mention(s) beyond \(maxMentions) defused")
        }
        return reasons.isEmpty ? .allow : .rewrite(text, reason: reasons.joined(separator: "; "))
    }

    static func removingControlCharacters(from text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: scalars.append(scalar)
            case 0x09: scalars.append(" ")
            case 0x2028, 0x2029: scalars.append("\n")
            case 0x00...0x1F, 0x7F...0x9F: continue
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    private func defusingMentions(in text: String, names: [String]) -> (text: String, count: Int) {
        let lowered = text.lowercased()
        let mentioned = Set(names.map { $0.lowercased() }).filter { name in
            name.count > 1 && Addressing.detect(in: lowered, names: [name]) != .none
        }
        guard mentioned.count > maxMentions else { return (text, 0) }
        // Keep the first `maxMentions` names in order of appearance; defuse the others.
        func firstOffset(_ name: String) -> String.Index {
            lowered.range(of: name)?.lowerBound ?? lowered.endIndex
        }
        let ordered = mentioned.sorted { firstOffset($0) < firstOffset($1) }
        var result = text
        for name in ordered.dropFirst(maxMentions) {
            result = Self.defuse(name, in: result)
        }
        return (result, ordered.count - maxMentions)
    }

    private static func defuse(_ name: String, in text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: name, options: .caseInsensitive) {
            result += rest[..<range.lowerBound]
            let match = rest[range]
            result += String(match.prefix(1)) + "\u{200B}" + match.dropFirst()
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
