import Foundation
@testable import ParleyInference
import Testing

/// SentencePiece tokenization on a small vocabulary built for the test: the merges the scores
/// call for, the space prefix, byte fallback, special tokens and decoding.
@Suite struct SentencePieceTokenizerTests {
    static let tokenizer: Tokenizer = {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [Vocabulary.TokenType] = [.unknown, .control, .control]
        var scores: [Float] = [0, 0, 0]
        for byte in 0..<256 {
            tokens.append(String(format: "<0x%02X>", byte))
            types.append(.byte)
            scores.append(0)
        }
        // Pieces with scores: higher merges first.
        let pieces: [(String, Float)] = [
            ("▁", -1), ("h", -2), ("e", -2), ("l", -2), ("o", -2), ("w", -2), ("r", -2), ("d", -2),
            ("▁h", -3), ("he", -4), ("ll", -3.5), ("▁he", -5), ("▁hell", -6), ("▁hello", -7), ("lo", -9),
            ("▁w", -3), ("or", -3), ("ld", -3), ("▁wor", -8), ("▁world", -8.5),
        ]
        for (piece, score) in pieces {
            tokens.append(piece)
            types.append(.normal)
            scores.append(score)
        }
        let vocabulary = Vocabulary(tokens: tokens, types: types, scores: scores, bos: 1, eos: 2, addsBOS: true)
        return Tokenizer(sentencePiece: vocabulary)
    }()

    func pieces(_ ids: [Int]) -> [String] { ids.map { Self.tokenizer.piece(of: $0)! } }

    @Test func mergesByScoreWithASpacePrefix() {
        #expect(pieces(Self.tokenizer.encode("hello world")) == ["▁hello", "▁world"])
        #expect(pieces(Self.tokenizer.encode("hello world", addBOS: true)) == ["<s>", "▁hello", "▁world"])
    }

    @Test func fallsBackToBytesForUnknownCharacters() {
        #expect(pieces(Self.tokenizer.encode("hé")) == ["▁h", "<0xC3>", "<0xA9>"])
    }

    /// Found by the tokenizer-sentencepiece fuzz target: U+0604 (a prepended concatenation mark)
    /// makes one grapheme cluster with the space after it, which fell back to bytes whole and
    /// came back from decoding as a literal `▁`. Symbols are code points, as in llama.cpp.
    @Test func symbolsAreCodePointsNotGraphemeClusters() {
        #expect(pieces(Self.tokenizer.encode("\u{604} hello")) == ["▁", "<0xD8>", "<0x84>", "▁hello"])
        #expect(Self.tokenizer.decode(Self.tokenizer.encode("\u{604} hello")) == " \u{604} hello")
        #expect(pieces(Self.tokenizer.encode("e\u{301}")) == ["▁", "e", "<0xCC>", "<0x81>"])
    }

    @Test func decodesSpacesAndBytes() {
        let ids = Self.tokenizer.encode("hello wé")
        #expect(Self.tokenizer.decode(ids) == " hello wé")
    }

    @Test func specialTokensSplitTheTextAndOnlyTheFirstPieceGetsThePrefix() {
        #expect(pieces(Self.tokenizer.encode("hello</s>world")) == ["▁hello", "</s>", "w", "or", "ld"])
    }
}
