@testable import ParleyInference
import Testing

@Suite struct TokenizerTests {
    static let tokenizer: Tokenizer? = try? Tokenizer(file: Golden.file())

    func tokenizer() throws -> Tokenizer {
        guard let tokenizer = Self.tokenizer else { throw Golden.ModelMissing() }
        return tokenizer
    }

    @Test(arguments: Golden.shared.tokenizer_cases.indices)
    func tokenisesExactlyAsLlamaCpp(index: Int) throws {
        let golden = Golden.shared.tokenizer_cases[index]
        let tokenizer = try tokenizer()
        #expect(tokenizer.encode(golden.text) == golden.ids, "\(golden.text)")
        #expect(tokenizer.decode(golden.ids) == golden.detokenized)
    }

    @Test(arguments: Golden.shared.chat_cases.indices)
    func tokenisesRenderedPromptsExactly(index: Int) throws {
        let golden = Golden.shared.chat_cases[index]
        #expect(try tokenizer().encode(golden.rendered_prompt) == golden.prompt_ids)
    }

    @Test func specialTokensAreTextWhenNotParsed() throws {
        let tokenizer = try tokenizer()
        let parsed = tokenizer.encode("<|im_end|>")
        #expect(parsed == [2])
        #expect(tokenizer.encode("<|im_end|>", parseSpecial: false).count > 1)
    }

    @Test func streamingDecoderHoldsBackIncompleteCharacters() throws {
        let tokenizer = try tokenizer()
        let ids = tokenizer.encode("Emoji: 😀 and 中文")
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var pieces: [String] = []
        for id in ids { pieces.append(decoder.append(id)) }
        pieces.append(decoder.flush())
        #expect(pieces.joined() == "Emoji: 😀 and 中文")
        #expect(!pieces.contains { $0.contains("\u{FFFD}") })
    }

    @Test func completePrefixStopsBeforeAnUnfinishedSequence() {
        #expect(StreamingDecoder.completePrefixLength([0x61, 0xF0, 0x9F]) == 1)
        #expect(StreamingDecoder.completePrefixLength([0x61, 0xF0, 0x9F, 0x98, 0x80]) == 5)
        #expect(StreamingDecoder.completePrefixLength([0xE4, 0xB8]) == 0)
        #expect(StreamingDecoder.completePrefixLength([0x80]) == 1)
    }
}
