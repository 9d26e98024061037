import Foundation
@testable import ParleyInference

extension FuzzTarget {
    /// A model file (hostile GGUF) through the reader, the tokenizer, the hyper-parameters, the
    /// weights and, when it loads, one forward pass and a few steps of encoding and decoding.
    /// Property: a file is refused with an error or runs; never a crash or a read outside it.
    static let gguf = FuzzTarget(name: "gguf", summary: "a model file → GGUF reader, loader, one forward pass") { data in
        guard let file = MemoryFile(data) else { return }
        defer { file.close() }
        guard let model = try? LanguageModel(path: file.path, contextLength: 16, threads: 1) else { return }
        let ids = model.tokenizer.encode("Hello, world! <|im_start|>", addBOS: true)
        expect(ids.allSatisfy { (0..<model.tokenizer.vocabularySize).contains($0) }, "a token id outside the vocabulary")
        _ = model.tokenizer.decode(ids)
        let cache = model.makeCache()
        if let first = ids.first, let logits = try? model.evaluate([first], cache: cache) {
            expect(logits.count == model.hyperparameters.vocabularySize, "\(logits.count) logits for \(model.hyperparameters.vocabularySize) tokens")
        }
    }

    /// Text (any bytes, special-token lookalikes included) through the reference model's
    /// byte-level BPE tokenizer. Properties: every id is in the vocabulary; read without special
    /// tokens, the tokens' bytes are exactly the text's (less the few control bytes the vocabulary
    /// has no token for, which llama.cpp drops as well); decoding token by token as a stream gives
    /// the same text as decoding at once.
    static let tokenizerBPE = FuzzTarget(
        name: "tokenizer-bpe", summary: "text → the reference model's BPE tokenizer and back",
        prepare: { _ = (EngineFuzzState.bpe, EngineFuzzState.bpeBytes) }
    ) { data in
        let tokenizer = EngineFuzzState.bpe
        let text = String(decoding: data, as: UTF8.self)
        let plain = tokenizer.encode(text, parseSpecial: false)
        expect(plain.allSatisfy { (0..<tokenizer.vocabularySize).contains($0) }, "a token id outside the vocabulary")
        let representable = text.utf8.filter { EngineFuzzState.bpeBytes.contains($0) }
        expect(plain.flatMap { tokenizer.bytes(of: $0) } == representable, "the tokens of \(text.debugDescription) are not its bytes")
        checkStreaming(tokenizer, tokenizer.encode(text, parseSpecial: true))
    }

    /// Text through a SentencePiece tokenizer (Llama 2's scheme: pieces by score, unknown bytes as
    /// `<0xNN>` tokens, a space prefix). Properties as for BPE: ids in the vocabulary, and the text
    /// back from decoding (with the prefix space the tokenizer adds, and a `▁` written in the
    /// text read as the space it stands for, as SentencePiece and llama.cpp read it).
    static let tokenizerSentencePiece = FuzzTarget(
        name: "tokenizer-sentencepiece", summary: "text → a SentencePiece tokenizer and back"
    ) { data in
        let tokenizer = EngineFuzzState.sentencePiece
        let text = String(decoding: data, as: UTF8.self)
        let plain = tokenizer.encode(text, parseSpecial: false)
        expect(plain.allSatisfy { (0..<tokenizer.vocabularySize).contains($0) }, "a token id outside the vocabulary")
        let decoded = tokenizer.decode(plain)
        // By scalar: a combining mark after the `▁` makes them one Character.
        let spaced = String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\u{2581}" ? " " : $0 }))
        expect(decoded == spaced || decoded == " " + spaced, "decode(encode(text)) is not the text: \(text.debugDescription) → \(decoded.debugDescription)")
        checkStreaming(tokenizer, tokenizer.encode(text, parseSpecial: true))
    }
}

private func checkStreaming(_ tokenizer: Tokenizer, _ ids: [Int]) {
    var stream = StreamingDecoder(tokenizer: tokenizer)
    let streamed = ids.map { stream.append($0) }.joined() + stream.flush()
    expect(streamed == tokenizer.decode(ids), "streamed decoding differs from decoding at once")
}

/// What the engine targets share across inputs.
enum EngineFuzzState {
    /// The reference model's tokenizer (`PARLEY_FUZZ_MODEL`, else models/ under the current folder).
    static let bpe = try! Tokenizer(gguf: referenceModel)

    /// The bytes the reference vocabulary has a token of their own for.
    static let bpeBytes: Set<UInt8> = {
        let vocabulary = try! Vocabulary(file: referenceModel)
        return Set((0...255).map(UInt8.init).filter { vocabulary.ids[ByteLevel.encode([$0])] != nil })
    }()

    private static let referenceModel: GGUFFile = {
        let path = ProcessInfo.processInfo.environment["PARLEY_FUZZ_MODEL"] ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf"
        do {
            return try GGUFFile(path: path)
        } catch {
            print("parley-fuzz: the BPE target needs the reference model (scripts/fetch-model): \(error)")
            exit(2)
        }
    }()

    /// A Llama-2-style vocabulary: control tokens, the 256 byte tokens, then pieces with scores
    /// (longer pieces score higher, as trained vocabularies tend to).
    static let sentencePiece: Tokenizer = {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [Vocabulary.TokenType] = [.unknown, .control, .control]
        tokens += (0..<256).map { String(format: "<0x%02X>", $0) }
        types += Array(repeating: .byte, count: 256)
        let pieces = ["▁", "e", "t", "a", "o", "n", "▁t", "he", "▁the", "in", "er", "▁a", "re", "on", "▁hello", "▁world", "lo", "ll", "é", "日本", "▁▁", "<", ">", "|"]
        tokens += pieces
        types += Array(repeating: .normal, count: pieces.count)
        tokens.append("<|user|>")
        types.append(.userDefined)
        let scores = tokens.indices.map { index in index < 259 ? 0 : Float(-100 + tokens[index].count) }
        let vocabulary = Vocabulary(tokens: tokens, types: types, scores: scores, bos: 1, eos: 2, addsBOS: true)
        return Tokenizer(sentencePiece: vocabulary)
    }()
}

/// Bytes as a file a path names, on tmpfs where there is one: the reader opens and maps it as
/// any model file.
private struct MemoryFile {
    let path: String

    init?(_ bytes: [UInt8]) {
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array("\(folder)/parley-fuzz-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { return nil }
        defer { Glibc.close(descriptor) }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            unlink(path)
            return nil
        }
    }

    func close() {
        unlink(path)
    }
}
