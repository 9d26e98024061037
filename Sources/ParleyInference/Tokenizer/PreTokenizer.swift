/// Splits text into the pieces BPE merges within, as the model's `tokenizer.ggml.pre` says.
///
/// The rules are written out by hand over Unicode scalars, as llama.cpp does; a lookahead never
/// sees past the piece being split.
/// - GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;
///   variants first split off every digit (`smollm`, `starcoder`, …).
/// - Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
///   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`; Qwen2's is the same with one
///   digit per piece.
struct PreTokenizer: Sendable {
    enum Style: Sendable, Equatable {
        /// The GPT-2 rule alone.
        case gpt2
        /// Every digit on its own first, then the GPT-2 rule.
        case digitsThenGPT2
        /// The Llama 3 rule, numbers in pieces of at most `digits` digits.
        case llama3(digits: Int)
    }

    let style: Style

    /// The names llama.cpp gives each rule this type implements.
    static let names: [String: Style] = {
        var names: [String: Style] = ["gpt-2": .gpt2, "phi-2": .gpt2, "roberta-bpe": .gpt2]
        for name in ["smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva"] {
            names[name] = .digitsThenGPT2
        }
        for name in ["llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral"] { names[name] = .llama3(digits: 3) }
        for name in ["qwen2", "deepseek-r1-qwen"] { names[name] = .llama3(digits: 1) }
        return names
    }()

    /// The rule `tokenizer.ggml.pre` names (GPT-2's when the file names none); a name whose rule
    /// is not implemented is refused rather than tokenised by a rule the model was not trained with.
    init(name: String?) throws {
        guard let name else {
            style = .gpt2
            return
        }
        guard let style = Self.names[name] else {
            throw ModelError.invalidMetadata(
                key: "tokenizer.ggml.pre",
                problem: "pre-tokenizer \"\(name)\" is not supported (supported: \(Self.names.keys.sorted().joined(separator: ", ")))")
        }
        self.style = style
    }

    func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var pieces: [Range<Int>] = []
        switch style {
        case .gpt2:
            Self.gpt2(scalars, 0..<scalars.count, into: &pieces)
        case .digitsThenGPT2:
            var start = 0
            for index in scalars.indices where Self.isNumber(scalars[index]) {
                if start < index { Self.gpt2(scalars, start..<index, into: &pieces) }
                pieces.append(index..<index + 1)
                start = index + 1
            }
            if start < scalars.count { Self.gpt2(scalars, start..<scalars.count, into: &pieces) }
        case .llama3(let digits):
            Self.llama3(scalars, 0..<scalars.count, digits: digits, into: &pieces)
        }
        return pieces.map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: true
        default: false
        }
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace
    }

    /// The length of the contraction ('s 't 're 've 'm 'll 'd) at `i`, if one starts there.
    private static func contraction(_ s: [Unicode.Scalar], at i: Int, end: Int, anyCase: Bool) -> Int? {
        func at(_ index: Int) -> Unicode.Scalar? {
            guard index < end else { return nil }
            return anyCase ? s[index].properties.lowercaseMapping.unicodeScalars.first ?? s[index] : s[index]
        }
        guard s[i] == "'", let next = at(i + 1) else { return nil }
        if ["s", "t", "m", "d"].contains(next) { return 2 }
        guard let two = at(i + 2) else { return nil }
        return (next == "r" && two == "e") || (next == "v" && two == "e") || (next == "l" && two == "l") ? 3 : nil
    }

    /// The GPT-2 rule over `scalars[range]`.
    private static func gpt2(_ s: [Unicode.Scalar], _ range: Range<Int>, into pieces: inout [Range<Int>]) {
        let end = range.upperBound
        var i = range.lowerBound
        func at(_ index: Int) -> Unicode.Scalar? { index < end ? s[index] : nil }
        while i < end {
            let start = i
            // Contractions: 's 't 're 've 'm 'll 'd (lowercase only).
            if let length = contraction(s, at: i, end: end, anyCase: false) {
                pieces.append(i..<i + length)
                i += length
                continue
            }
            // An optional space, then letters / numbers / other symbols.
            var j = i
            if s[j] == " ", let next = at(j + 1), !isSpace(next) { j += 1 }
            let first = s[j]
            if isLetter(first) {
                while let c = at(j), isLetter(c) { j += 1 }
                pieces.append(start..<j)
                i = j
                continue
            }
            if isNumber(first) {
                while let c = at(j), isNumber(c) { j += 1 }
                pieces.append(start..<j)
                i = j
                continue
            }
            if !isSpace(first) {
                while let c = at(j), !isSpace(c), !isLetter(c), !isNumber(c) { j += 1 }
                pieces.append(start..<j)
                i = j
                continue
            }
            // Whitespace: all of it if it runs to the end, else all but the last (which joins
            // the next piece as its leading space) — `\s+(?!\S)` then `\s+`.
            var k = i
            while let c = at(k), isSpace(c) { k += 1 }
            if k == end || k - i == 1 {
                pieces.append(i..<k)
                i = k
            } else {
                pieces.append(i..<k - 1)
                i = k - 1
            }
        }
    }

    /// The Llama 3 rule over `scalars[range]`, numbers in pieces of at most `digits` digits.
    private static func llama3(_ s: [Unicode.Scalar], _ range: Range<Int>, digits: Int, into pieces: inout [Range<Int>]) {
        let end = range.upperBound
        var i = range.lowerBound
        func at(_ index: Int) -> Unicode.Scalar? { index < end ? s[index] : nil }
        func isNewline(_ scalar: Unicode.Scalar) -> Bool { scalar == "\r" || scalar == "\n" }
        func isOther(_ scalar: Unicode.Scalar) -> Bool { !isSpace(scalar) && !isLetter(scalar) && !isNumber(scalar) }
        func take(_ next: Int) {
            pieces.append(i..<next)
            i = next
        }
        while i < end {
            let c = s[i]
            // Contractions, in either case.
            if let length = contraction(s, at: i, end: end, anyCase: true) {
                take(i + length)
                continue
            }
            // One character that is no letter, digit or line break, then letters.
            if !isNewline(c), !isNumber(c), isLetter(c) || at(i + 1).map(isLetter) == true {
                var j = i + 1
                while let next = at(j), isLetter(next) { j += 1 }
                take(j)
                continue
            }
            if isNumber(c) {
                var j = i + 1
                while j - i < digits, let next = at(j), isNumber(next) { j += 1 }
                take(j)
                continue
            }
            // An optional space, other symbols, then any line breaks.
            if let first = c == " " ? at(i + 1) : c, isOther(first) {
                var j = c == " " ? i + 1 : i
                while let next = at(j), isOther(next) { j += 1 }
                while let next = at(j), isNewline(next) { j += 1 }
                take(j)
                continue
            }
            // Whitespace: up to its last line break if it has one; else all of it if it runs to
            // the end, else all but the last (which leads the next piece).
            var k = i
            var afterLastNewline: Int?
            while let next = at(k), isSpace(next) {
                k += 1
                if isNewline(next) { afterLastNewline = k }
            }
            if let afterLastNewline {
                take(afterLastNewline)
            } else if k - i > 1, k < end {
                take(k - 1)
            } else {
                take(max(k, i + 1))
            }
        }
    }
}
