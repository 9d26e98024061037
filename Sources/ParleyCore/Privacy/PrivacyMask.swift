/// What must not leave the machine in text sent to a hosted backend (`privacy.redact`): e-mail
/// addresses, phone numbers, card numbers, IBANs and the operator's own patterns, each replaced
/// by a placeholder (`[EMAIL_1]`) that the reply's echoes are mapped back from.
public struct PrivacyMask: Sendable, Hashable {
    /// One kind of thing to mask.
    public enum Pattern: Sendable, Hashable {
        case email, phone, card, iban
        /// The operator's own: a name for its placeholders (`[TICKET_1]`) and a regular expression.
        case custom(name: String, regex: String)

        /// The placeholder's word.
        var label: String {
            switch self {
            case .email: "EMAIL"
            case .phone: "PHONE"
            case .card: "CARD"
            case .iban: "IBAN"
            case .custom(let name, _): name.uppercased()
            }
        }

        var source: String {
            switch self {
            case .email: #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#
            // 13–19 digits, single spaces or dashes between them.
            // (Swift's regular expressions have no lookbehind: `\b` stands in for it.)
            case .card: #"\b[0-9](?:[ \-]?[0-9]){12,18}(?![0-9])"#
            case .iban: #"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])"#
            // A leading + or digit, 7 to 15 digits in all, with the separators people write.
            case .phone: #"\+?\b[0-9](?:[ \-./]?\(?[0-9]\)?){6,14}(?![0-9])"#
            case .custom(_, let regex): regex
            }
        }

        /// Whether a match is one (a card number passes the Luhn check, an IBAN its mod-97 check).
        func accepts(_ match: Substring) -> Bool {
            switch self {
            case .card: Self.passesLuhn(match.filter(\.isNumber))
            case .iban: Self.passesMod97(match.filter { !$0.isWhitespace })
            // Seven digits with a +, nine without: a date (2026-12-02) is not a phone number.
            case .phone: (match.hasPrefix("+") ? 7 : 9)...15 ~= match.filter(\.isNumber).count
            default: true
            }
        }

        static func passesLuhn(_ digits: String) -> Bool {
            var sum = 0
            for (index, character) in digits.reversed().enumerated() {
                guard let digit = character.wholeNumberValue else { return false }
                let value = index % 2 == 1 ? digit * 2 : digit
                sum += value > 9 ? value - 9 : value
            }
            return sum % 10 == 0
        }

        static func passesMod97(_ iban: String) -> Bool {
            let rearranged = iban.dropFirst(4) + iban.prefix(4)
            var remainder = 0
            for character in rearranged {
                guard let value = character.isNumber ? character.wholeNumberValue : character.isASCII && character.isLetter
                    ? Int(character.uppercased().unicodeScalars.first!.value) - 55 : nil
                else { return false }
                for digit in String(value) { remainder = (remainder * 10 + digit.wholeNumberValue!) % 97 }
            }
            return remainder == 1
        }
    }

    /// Applied in this order: a card number is not also read as a phone number.
    public var patterns: [Pattern]

    public init(patterns: [Pattern]) {
        let order: (Pattern) -> Int = { pattern in
            switch pattern {
            case .custom: 0
            case .card: 1
            case .iban: 2
            case .email: 3
            case .phone: 4
            }
        }
        self.patterns = patterns.enumerated().sorted { (order($0.element), $0.offset) < (order($1.element), $1.offset) }.map(\.element)
    }

    /// Checks a custom pattern: nil when it is usable, else why not.
    public static func problem(in regex: String) -> String? {
        do {
            let compiled = try Regex(regex)
            return "".wholeMatch(of: compiled) == nil ? nil : "it matches the empty string"
        } catch {
            return "\(error)"
        }
    }

    /// `text` with every match replaced by its placeholder; `masking` keeps what each stands for,
    /// so that one value gets one placeholder across a request's messages. (Compiles the
    /// patterns each time: a request's messages share one `compiled()` mask instead.)
    public func mask(_ text: String, into masking: inout Masking) -> String {
        compiled().mask(text, into: &masking)
    }

    /// The patterns compiled once, for all the messages of a request. (`Regex` is not `Sendable`,
    /// so a compiled mask is not kept across requests.)
    public func compiled() -> Compiled {
        // Built-in patterns are tested; custom ones were checked when the config was read.
        Compiled(patterns: patterns.compactMap { pattern in (try? Regex(pattern.source)).map { (pattern, $0) } })
    }

    /// A mask with its regular expressions compiled.
    public struct Compiled {
        let patterns: [(Pattern, Regex<AnyRegexOutput>)]

        /// As `PrivacyMask.mask(_:into:)`.
        public func mask(_ text: String, into masking: inout Masking) -> String {
            var result = text
            for (pattern, regex) in patterns {
                var output = ""
                var rest = result[...]
                while let match = rest.firstMatch(of: regex) {
                    let found = rest[match.range]
                    output += rest[..<match.range.lowerBound]
                    guard !found.isEmpty else {
                        // A pattern that matches nothing: step over one character.
                        guard match.range.lowerBound < rest.endIndex else { break }
                        output.append(rest[match.range.lowerBound])
                        rest = rest[rest.index(after: match.range.lowerBound)...]
                        continue
                    }
                    // Never inside a placeholder an earlier pattern wrote.
                    output += pattern.accepts(found) && !found.contains("[") && !found.contains("]")
                        ? masking.placeholder(for: String(found), label: pattern.label) : String(found)
                    rest = rest[match.range.upperBound...]
                }
                result = output + rest
            }
            return result
        }
    }

    /// The placeholders of one request and what they stand for.
    public struct Masking: Sendable, Hashable {
        public private(set) var originals: [String: String] = [:]
        private var placeholders: [String: String] = [:]
        private var counts: [String: Int] = [:]

        public init() {}

        mutating func placeholder(for value: String, label: String) -> String {
            if let known = placeholders[value] { return known }
            counts[label, default: 0] += 1
            let placeholder = "[\(label)_\(counts[label]!)]"
            placeholders[value] = placeholder
            originals[placeholder] = value
            return placeholder
        }
    }
}
