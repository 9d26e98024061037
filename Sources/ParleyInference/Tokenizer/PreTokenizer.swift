/// Splits text into the pieces BPE merges within, as the model's `tokenizer.ggml.pre` says.
///
/// The GPT-2 rule (`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`)
/// is written out by hand over Unicode scalars; variants first split off every digit (`smollm`,
/// `starcoder`, …). A lookahead never sees past the piece being split, as in llama.cpp.
struct PreTokenizer: Sendable {
    enum Style: Sendable {
        /// The GPT-2 rule alone.
        case gpt2
        /// Every digit on its own first, then the GPT-2 rule.
        case digitsThenGPT2
    }

    let style: Style

    init(name: String?) {
        switch name {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            style = .digitsThenGPT2
        default:
            style = .gpt2
        }
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

    /// The GPT-2 rule over `scalars[range]`.
    private static func gpt2(_ s: [Unicode.Scalar], _ range: Range<Int>, into pieces: inout [Range<Int>]) {
        let end = range.upperBound
        var i = range.lowerBound
        func at(_ index: Int) -> Unicode.Scalar? { index < end ? s[index] : nil }
        while i < end {
            let start = i
            // Contractions: 's 't 're 've 'm 'll 'd (lowercase only).
            if s[i] == "'", let next = at(i + 1) {
                let two = at(i + 2)
                if ["s", "t", "m", "d"].contains(next) {
                    pieces.append(i..<i + 2)
                    i += 2
                    continue
                }
                if let two, (next == "r" && two == "e") || (next == "v" && two == "e") || (next == "l" && two == "l") {
                    pieces.append(i..<i + 3)
                    i += 3
                    continue
                }
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
}
