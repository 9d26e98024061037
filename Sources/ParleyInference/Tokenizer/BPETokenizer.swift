/// GPT-2-style byte-level BPE (SmolLM2, Llama 3, Qwen2): text is split by the pre-tokenizer,
/// each piece written in the byte-level alphabet, then merged pair by pair, lowest merge rank
/// first (leftmost among equals), until no listed merge applies.
struct BPETokenizer: Sendable {
    let vocabulary: Vocabulary
    private let ranks: [String: Int]
    private let preTokenizer: PreTokenizer

    init(vocabulary: Vocabulary, file: GGUFFile) throws {
        self.vocabulary = vocabulary
        guard let mergeValues = file["tokenizer.ggml.merges"]?.array else {
            throw ModelError.missingMetadata("tokenizer.ggml.merges")
        }
        guard let merges = mergeValues.strings else {
            throw ModelError.invalidMetadata(key: "tokenizer.ggml.merges", problem: "holds a value that is not a string")
        }
        var ranks: [String: Int] = [:]
        ranks.reserveCapacity(merges.count)
        for (rank, text) in merges.enumerated() where ranks[text] == nil { ranks[text] = rank }
        self.ranks = ranks
        preTokenizer = try PreTokenizer(name: file["tokenizer.ggml.pre"]?.string)
    }

    /// Token ids of ordinary text (no special tokens).
    func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        for piece in preTokenizer.split(text) {
            encodePiece(ByteLevel.encode(piece.utf8), into: &ids)
        }
        return ids
    }

    private func encodePiece(_ piece: String, into ids: inout [Int]) {
        if let id = vocabulary.ids[piece] {
            ids.append(id)
            return
        }
        var symbols = piece.unicodeScalars.map { String($0) }
        while symbols.count > 1 {
            var best: (rank: Int, index: Int)?
            for index in 0..<symbols.count - 1 {
                guard let rank = ranks[symbols[index] + " " + symbols[index + 1]] else { continue }
                if best == nil || rank < best!.rank { best = (rank, index) }
            }
            guard let best else { break }
            symbols[best.index] += symbols[best.index + 1]
            symbols.remove(at: best.index + 1)
        }
        for symbol in symbols {
            if let id = vocabulary.ids[symbol] {
                ids.append(id)
            } else {
                // Not in the vocabulary: fall back to one token per byte where the vocabulary has them.
                for byte in ByteLevel.decode(symbol) {
                    if let id = vocabulary.ids[ByteLevel.encode([byte])] { ids.append(id) }
                }
            }
        }
    }

    /// The bytes a token stands for.
    func bytes(of id: Int) -> [UInt8] {
        ByteLevel.decode(vocabulary.tokens[id])
    }
}
