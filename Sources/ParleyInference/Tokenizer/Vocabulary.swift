/// A model's vocabulary as its GGUF metadata gives it.
struct Vocabulary: Sendable {
    /// ggml's token types.
    enum TokenType: Int, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    let tokens: [String]
    let types: [TokenType]
    let scores: [Float]
    let ids: [String: Int]
    let bos: Int?
    let eos: Int?
    /// Tokens that end a turn or the text (EOS, EOT, `<|im_end|>`, `<|eot_id|>`, …).
    let endOfGeneration: Set<Int>
    let addsBOS: Bool

    /// A vocabulary given directly (tests).
    init(tokens: [String], types: [TokenType], scores: [Float], bos: Int?, eos: Int?, addsBOS: Bool) {
        self.tokens = tokens
        self.types = types
        self.scores = scores
        var ids: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = id }
        self.ids = ids
        self.bos = bos
        self.eos = eos
        endOfGeneration = eos.map { [$0] } ?? []
        self.addsBOS = addsBOS
    }

    init(file: GGUFFile) throws {
        guard let tokenValues = file["tokenizer.ggml.tokens"]?.array else {
            throw ModelError.missingMetadata("tokenizer.ggml.tokens")
        }
        guard let tokens = tokenValues.strings else {
            throw ModelError.invalidMetadata(key: "tokenizer.ggml.tokens", problem: "holds a value that is not a string")
        }
        guard !tokens.isEmpty else {
            throw ModelError.invalidMetadata(key: "tokenizer.ggml.tokens", problem: "is empty")
        }
        self.tokens = tokens
        let rawTypes = file["tokenizer.ggml.token_type"]?.array
        types = tokens.indices.map { index in
            guard let rawTypes, index < rawTypes.count else { return .normal }
            return TokenType(rawValue: rawTypes[index].integer ?? 1) ?? .normal
        }
        let rawScores = file["tokenizer.ggml.scores"]?.array?.floats ?? []
        scores = tokens.indices.map { index in index < rawScores.count ? rawScores[index] : 0 }
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = id }
        self.ids = ids

        func tokenID(_ key: String) throws -> Int? {
            guard let value = file[key] else { return nil }
            guard let id = value.integer, tokens.indices.contains(id) else {
                throw ModelError.invalidMetadata(key: key, problem: "is not a token id below \(tokens.count)")
            }
            return id
        }
        bos = try tokenID("tokenizer.ggml.bos_token_id")
        eos = try tokenID("tokenizer.ggml.eos_token_id")
        var endOfGeneration = Set<Int>()
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let id = try tokenID(key) { endOfGeneration.insert(id) }
        }
        for name in ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>"] {
            if let id = ids[name], types[id] == .control || types[id] == .userDefined { endOfGeneration.insert(id) }
        }
        self.endOfGeneration = endOfGeneration
        // SentencePiece models start with BOS unless the file says otherwise; BPE models the reverse.
        let isSentencePiece = file["tokenizer.ggml.model"]?.string == "llama"
        addsBOS = file["tokenizer.ggml.add_bos_token"]?.bool ?? isSentencePiece
    }

    var count: Int { tokens.count }

    /// Tokens written literally in text that stand for themselves when special tokens are parsed.
    var specialTokens: [(text: String, id: Int)] {
        tokens.enumerated()
            .filter { (types[$0.offset] == .control || types[$0.offset] == .userDefined) && !$0.element.isEmpty }
            .map { ($0.element, $0.offset) }
    }
}
