/// Turns text into a model's token ids and back, as the model's GGUF metadata describes.
public struct Tokenizer: Sendable {
    private let vocabulary: Vocabulary
    private let model: Model
    /// The two tokenizer models GGUF files use.
    private enum Model: Sendable {
        case bytePairs(BPETokenizer)
        case sentencePiece(SentencePieceTokenizer)
    }
    /// Special tokens by first character, longest first, for splitting them out of text.
    private let specials: [Character: [(text: String, id: Int)]]

    /// The tokenizer a model file describes.
    public init(gguf file: GGUFFile) throws {
        try self.init(file: file)
    }

    init(file: GGUFFile) throws {
        let name = file["tokenizer.ggml.model"]?.string ?? "(none)"
        let vocabulary = try Vocabulary(file: file)
        let model: Model
        switch name {
        case "gpt2":
            model = .bytePairs(try BPETokenizer(vocabulary: vocabulary, file: file))
        case "llama":
            let prefix = file["tokenizer.ggml.add_space_prefix"]?.bool ?? true
            model = .sentencePiece(SentencePieceTokenizer(vocabulary: vocabulary, addsSpacePrefix: prefix))
        default:
            throw ModelError.unsupportedTokenizer(name)
        }
        self.init(vocabulary: vocabulary, model: model)
    }

    /// A SentencePiece tokenizer over a vocabulary given directly (tests).
    init(sentencePiece vocabulary: Vocabulary, addsSpacePrefix: Bool = true) {
        self.init(vocabulary: vocabulary, model: .sentencePiece(SentencePieceTokenizer(vocabulary: vocabulary, addsSpacePrefix: addsSpacePrefix)))
    }

    private init(vocabulary: Vocabulary, model: Model) {
        self.vocabulary = vocabulary
        self.model = model
        var specials: [Character: [(text: String, id: Int)]] = [:]
        for special in vocabulary.specialTokens {
            guard let first = special.text.first else { continue }
            specials[first, default: []].append(special)
        }
        self.specials = specials.mapValues { $0.sorted { $0.text.count > $1.text.count } }
    }

    public var vocabularySize: Int { vocabulary.count }
    /// The special (control and user-defined) tokens, with their text.
    var vocabularySpecials: [(text: String, id: Int)] { vocabulary.specialTokens }
    public var bos: Int? { vocabulary.bos }
    public var eos: Int? { vocabulary.eos }
    public var endOfGeneration: Set<Int> { vocabulary.endOfGeneration }
    public var addsBOS: Bool { vocabulary.addsBOS }

    /// The ids of `text`. With `parseSpecial`, special tokens written in the text (`<|im_start|>`)
    /// become their ids, as in a rendered chat prompt; without, they are tokenised as text.
    public func encode(_ text: String, parseSpecial: Bool = true, addBOS: Bool = false) -> [Int] {
        encode(pieces: [parseSpecial ? .template(text) : .content(text)], addBOS: addBOS)
    }

    /// The ids of a chat prompt: special tokens are parsed in the template's pieces only, so
    /// what a message says is always text. The text between two special tokens is tokenised as
    /// one run, whichever pieces it spans, exactly as tokenising the whole rendered string would
    /// (for messages that hold no special token).
    public func encode(_ prompt: ChatTemplate.Prompt, addBOS: Bool) -> [Int] {
        encode(pieces: prompt.pieces, addBOS: addBOS)
    }

    private func encode(pieces: [ChatTemplate.Prompt.Piece], addBOS: Bool) -> [Int] {
        var ids: [Int] = []
        if addBOS, let bos = vocabulary.bos { ids.append(bos) }
        var run = ""
        var runAtStart = true
        func flush() {
            if !run.isEmpty { ids += plain(run, atStart: runAtStart) }
            runAtStart = false
            run = ""
        }
        for piece in pieces {
            switch piece {
            case .content(let text):
                run += text
            case .template(let text):
                guard !specials.isEmpty else {
                    run += text
                    continue
                }
                var plainStart = text.startIndex
                var index = text.startIndex
                while index < text.endIndex {
                    if let candidates = specials[text[index]],
                        let match = candidates.first(where: { text[index...].hasPrefix($0.text) })
                    {
                        run += text[plainStart..<index]
                        flush()
                        ids.append(match.id)
                        index = text.index(index, offsetBy: match.text.count)
                        plainStart = index
                    } else {
                        index = text.index(after: index)
                    }
                }
                run += text[plainStart...]
            }
        }
        flush()
        return ids
    }

    private func plain(_ text: String, atStart: Bool) -> [Int] {
        switch model {
        case .bytePairs(let bpe): bpe.encode(text)
        case .sentencePiece(let spm): spm.encode(text, atStart: atStart)
        }
    }

    /// The bytes of one token (special tokens as their text).
    public func bytes(of id: Int) -> [UInt8] {
        guard vocabulary.tokens.indices.contains(id) else { return [] }
        switch (vocabulary.types[id], model) {
        case (.control, _), (.userDefined, _): return Array(vocabulary.tokens[id].utf8)
        case (_, .bytePairs(let bpe)): return bpe.bytes(of: id)
        case (_, .sentencePiece(let spm)): return spm.bytes(of: id)
        }
    }

    /// The text of `ids`, invalid UTF-8 replaced.
    public func decode(_ ids: [Int]) -> String {
        String(decoding: ids.flatMap(bytes(of:)), as: UTF8.self)
    }

    /// The vocabulary entry of a token, as written in the file.
    public func piece(of id: Int) -> String? {
        vocabulary.tokens.indices.contains(id) ? vocabulary.tokens[id] : nil
    }
}

/// Turns a stream of token ids into text, holding back the bytes of a UTF-8 sequence that a
/// token started and a later token will finish, so that no partial character is ever emitted.
public struct StreamingDecoder: Sendable {
    private let tokenizer: Tokenizer
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// The text that `id` completes (possibly empty).
    public mutating func append(_ id: Int) -> String {
        pending += tokenizer.bytes(of: id)
        let complete = Self.completePrefixLength(pending)
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// What is left at the end (an incomplete sequence becomes U+FFFD).
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the longest prefix that does not end inside an unfinished UTF-8 sequence.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var index = bytes.count - 1
        var continuation = 0
        while index >= 0, bytes[index] & 0xC0 == 0x80, continuation < 3 {
            index -= 1
            continuation += 1
        }
        guard index >= 0 else { return bytes.count }
        let lead = bytes[index]
        let length = lead & 0x80 == 0 ? 1 : lead & 0xE0 == 0xC0 ? 2 : lead & 0xF0 == 0xE0 ? 3 : lead & 0xF8 == 0xF0 ? 4 : 1
        return continuation + 1 < length ? index : bytes.count
    }
}
