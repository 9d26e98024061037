import Foundation

/// How a message addressed the bot.
public enum Addressing: Sendable, Hashable {
    /// Not at all.
    case none
    /// At the start, in the IRC manner (`parley: hi`, `parley, hi`); `body` is what follows.
    case addressed(body: String)
    /// Somewhere in the text, or through the network's own mention mechanism (Matrix `m.mentions`).
    case mentioned

    public var isAddressedOrMentioned: Bool { self != .none }

    /// Detects the IRC-style address at the start of `text` (`name:`, `name,`, `@name`), or the
    /// name as a whole word elsewhere.
    ///
    /// - Parameters:
    ///   - names: the bot's names (its nick; a display name).
    ///   - fold: the network's case folding (IRC's casemapping); plain lowercasing by default.
    public static func detect(
        in text: String,
        names: [String],
        fold: (String) -> String = { $0.lowercased() }
    ) -> Addressing {
        let foldedText = fold(text)
        for name in names where !name.isEmpty {
            let foldedName = fold(name)
            var rest = Substring(foldedText)
            if rest.hasPrefix("@") { rest = rest.dropFirst() }
            guard rest.hasPrefix(foldedName) else { continue }
            let after = rest.dropFirst(foldedName.count)
            guard let separator = after.first, separator == ":" || separator == "," else { continue }
            // Folding preserves length in characters for every casemapping Parley uses, so the
            // offset into the folded text is the offset into the original.
            let offset = foldedText.distance(from: foldedText.startIndex, to: after.startIndex) + 1
            let body = text.dropFirst(offset).drop(while: { $0 == " " })
            return .addressed(body: String(body))
        }
        for name in names where !name.isEmpty && containsWord(fold(name), in: foldedText) {
            return .mentioned
        }
        return .none
    }

    private static func containsWord(_ word: String, in text: String) -> Bool {
        var searchStart = text.startIndex
        while let range = text.range(of: word, range: searchStart..<text.endIndex) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !isNameCharacter(before) && !isNameCharacter(after) { return true }
            searchStart = range.upperBound
        }
        return false
    }

    private static func isNameCharacter(_ character: Character?) -> Bool {
        guard let character else { return false }
        return character.isLetter || character.isNumber || "_-[]\\`^{}|".contains(character)
    }
}
