import Foundation
@testable import ParleyInference
import Testing

/// llama.cpp's own tokenizer tests: each `ggml-vocab-NAME.gguf` (a vocabulary without weights)
/// with test strings (`.inp`) and the ids llama.cpp expects (`.out`), which `scripts/fetch-vocabs`
/// puts in `models/ggml-vocab/`. Every vocabulary the engine accepts tokenises every string
/// exactly; one it does not is refused at load with an error naming the metadata key.
@Suite struct GGMLVocabTests {
    static let directory = Golden.repositoryRoot.appendingPathComponent("models/ggml-vocab")

    /// Vocabularies the engine claims: BPE with the GPT-2, digit-splitting, Llama 3 and Qwen2
    /// pre-tokenizers, and SentencePiece.
    static let claimed = ["command-r", "gpt-2", "llama-bpe", "llama-spm", "phi-3", "qwen2", "refact", "starcoder"]

    /// Every vocabulary with test strings in the archive (read when the tests are listed).
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let found = files.filter { $0.hasSuffix(".gguf.inp") }
            .map { String($0.dropFirst("ggml-vocab-".count).dropLast(".gguf.inp".count)) }.sorted()
        // Without the files, the claimed ones still run, and fail saying where the files come from.
        return found.isEmpty ? claimed : found
    }()

    struct FilesMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is missing; run scripts/fetch-vocabs" }
    }

    /// The test strings and expected ids of one vocabulary.
    static func cases(_ name: String) throws -> [(text: String, ids: [Int])] {
        let base = directory.appendingPathComponent("ggml-vocab-\(name).gguf")
        guard let input = try? String(contentsOf: base.appendingPathExtension("inp"), encoding: .utf8),
            let output = try? String(contentsOf: base.appendingPathExtension("out"), encoding: .utf8)
        else { throw FilesMissing(path: base.path + ".inp/.out") }
        var texts = input.components(separatedBy: "\n__ggml_vocab_test__\n")
        if texts.last == "" { texts.removeLast() }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).prefix(texts.count)
        #expect(lines.count == texts.count, "\(name): \(texts.count) strings, \(lines.count) lines of ids")
        return zip(texts, lines).map { text, line in (text, line.split(separator: " ").compactMap { Int($0) }) }
    }

    @Test(arguments: names)
    func tokenisesLlamaCppsTestStringsExactlyOrRefusesTheVocabulary(name: String) throws {
        let path = Self.directory.appendingPathComponent("ggml-vocab-\(name).gguf").path
        guard FileManager.default.fileExists(atPath: path) else { throw FilesMissing(path: path) }
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer(file: GGUFFile(path: path))
        } catch let error as ModelError {
            #expect(!Self.claimed.contains(name), "\(name) is claimed but refused: \(error)")
            let message = String(describing: error)
            #expect(message.contains("tokenizer.ggml."), "\(name): the refusal names no key: \(message)")
            return
        }
        #expect(Self.claimed.contains(name), "\(name) loads but is not claimed; claim it if it tokenises exactly")
        for (text, ids) in try Self.cases(name) {
            #expect(tokenizer.encode(text, parseSpecial: false) == ids, "\(name): \(text.debugDescription)")
        }
    }
}
