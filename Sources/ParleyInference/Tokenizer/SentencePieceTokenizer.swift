import Foundation

/// SentencePiece-style tokenization, as GGUF's `llama` tokenizer model describes it (Llama 2,
/// TinyLlama, Mistral): spaces become `▁` (U+2581), a `▁` is prefixed to the text, and adjacent
/// pieces are merged greedily — the pair whose merge is in the vocabulary with the highest score
/// first, the leftmost among equals — until no merge is possible. A piece not in the vocabulary
/// falls back to byte tokens (`<0x41>`).
struct SentencePieceTokenizer: Sendable {
    let vocabulary: Vocabulary
    let addsSpacePrefix: Bool
    /// The id of the byte token for each byte, where the vocabulary has one.
    private let byteTokens: [Int?]
    private let unknown: Int?

    static let space = "\u{2581}"

    init(vocabulary: Vocabulary, addsSpacePrefix: Bool) {
        self.vocabulary = vocabulary
        self.addsSpacePrefix = addsSpacePrefix
        byteTokens = (0..<256).map { byte in vocabulary.ids[String(format: "<0x%02X>", byte)] }
        unknown = vocabulary.types.firstIndex(of: .unknown)
    }

    /// Token ids of ordinary text; `atStart` says whether it begins the whole text (where the
    /// space prefix goes).
    func encode(_ text: String, atStart: Bool) -> [Int] {
        guard !text.isEmpty else { return [] }
        // Symbols are code points, as SentencePiece and llama.cpp take them, not Swift's grapheme
        // clusters: a cluster can hold a space (after a prepended mark such as U+0604) or join
        // a known character to an unknown one, and would then fall back to bytes whole.
        var symbols = text.unicodeScalars.map { $0 == " " ? Self.space : String($0) }
        if addsSpacePrefix && atStart { symbols.insert(Self.space, at: 0) }
        while symbols.count > 1 {
            var best: (score: Float, index: Int)?
            for index in 0..<symbols.count - 1 {
                guard let id = vocabulary.ids[symbols[index] + symbols[index + 1]] else { continue }
                let score = vocabulary.scores[id]
                if best == nil || score > best!.score { best = (score, index) }
            }
            guard let best else { break }
            symbols[best.index] += symbols[best.index + 1]
            symbols.remove(at: best.index + 1)
        }
        var ids: [Int] = []
        for symbol in symbols {
            if let id = vocabulary.ids[symbol] {
                ids.append(id)
                continue
            }
            for byte in symbol.utf8 {
                if let id = byteTokens[Int(byte)] {
                    ids.append(id)
                } else if let unknown {
                    ids.append(unknown)
                }
            }
        }
        return ids
    }

    /// The bytes a token stands for: a byte token's byte, else its text with `▁` as a space.
    func bytes(of id: Int) -> [UInt8] {
        let token = vocabulary.tokens[id]
        if vocabulary.types[id] == .byte, token.hasPrefix("<0x"), token.hasSuffix(">"),
            let byte = UInt8(token.dropFirst(3).dropLast(), radix: 16)
        {
            return [byte]
        }
        return Array(token.replacingOccurrences(of: Self.space, with: " ").utf8)
    }
}
