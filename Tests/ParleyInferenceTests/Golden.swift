import Foundation
@testable import ParleyInference

/// llama.cpp's outputs for the reference model (`Fixtures/smollm2-135m-q4_1.json`) and the model
/// itself, which `scripts/fetch-model` puts in `models/`.
struct Golden: Decodable {
    struct TokenizerCase: Decodable {
        let text: String
        let ids: [Int]
        let detokenized: String
    }

    struct Message: Decodable {
        let role: String
        let content: String
    }

    struct Candidate: Decodable {
        let id: Int
        let logit: Float
    }

    struct ChatCase: Decodable {
        let name: String
        let messages: [Message]
        let rendered_prompt: String
        let prompt_ids: [Int]
        let first_position_top5: [Candidate]
        let generated_ids: [Int]
        let top1_minus_top2_logit_margin_per_step: [Float]
    }

    let tokenizer_cases: [TokenizerCase]
    let chat_cases: [ChatCase]

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let shared: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/smollm2-135m-q4_1.json")
        do {
            return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read the golden fixture \(url.path): \(error)")
        }
    }()

    static var modelPath: String {
        repositoryRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }

    struct ModelMissing: Error, CustomStringConvertible {
        var description: String { "the reference model is missing at \(Golden.modelPath); run scripts/fetch-model" }
    }

    /// The reference model file, opened once.
    static func file() throws -> GGUFFile {
        guard FileManager.default.fileExists(atPath: modelPath) else { throw ModelMissing() }
        return try GGUFFile(path: modelPath)
    }
}
