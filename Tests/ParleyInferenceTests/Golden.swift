import Foundation
@testable import ParleyInference
import Testing

/// llama.cpp's outputs for a model (`Fixtures/NAME.json`, written by `scripts/make-goldens`; the
/// reference model's came with the project) and the model itself, which `scripts/fetch-model`
/// puts in `models/`.
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

    /// One step's top-5 logits and the margin between the first two.
    struct Step: Decodable {
        let top: [Candidate]
        let margin: Float
    }

    struct ChatCase: Decodable {
        let name: String
        let messages: [Message]
        /// A prompt taken as is, for a base model (no chat template).
        let prompt: String?
        let rendered_prompt: String
        let prompt_ids: [Int]
        let first_position_top5: [Candidate]
        let generated_ids: [Int]
        let top1_minus_top2_logit_margin_per_step: [Float]
        /// llama.cpp's logits with the prompt and generated ids in one pass (not in the reference
        /// model's file, which predates them).
        let teacher_forced_steps: [Step]?
    }

    let tokenizer_cases: [TokenizerCase]
    let chat_cases: [ChatCase]

    /// A model with golden answers.
    enum Model: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case smollm2 = "smollm2-135m-q4_1"
        case qwen2_5_0_5b = "qwen2.5-0.5b"
        case gemma3_270m = "gemma3-270m"
        case qwen2_5_1_5b = "qwen2.5-1.5b"

        var testDescription: String { rawValue }

        /// The models a run checks: all but the 1.5B (1.1 GB; `scripts/check-goldens
        /// qwen2.5-1.5b`), or those named in PARLEY_GOLDEN_MODELS (comma-separated).
        static var checked: [Model] {
            guard let names = ProcessInfo.processInfo.environment["PARLEY_GOLDEN_MODELS"], !names.isEmpty else {
                return allCases.filter { $0 != .qwen2_5_1_5b }
            }
            return names.split(separator: ",").compactMap { Model(rawValue: String($0)) }
        }

        var fixture: URL {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(rawValue).json")
        }

        /// The file `scripts/fetch-model` fetches, and the name it knows the model by.
        var file: (name: String, fetch: String) {
            switch self {
            case .smollm2: ("SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m")
            case .qwen2_5_0_5b: ("Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf", "qwen2.5-0.5b")
            case .gemma3_270m: ("gemma-3-270m.Q4_K_M.gguf", "gemma3-270m")
            case .qwen2_5_1_5b: ("Qwen2.5-Coder-1.5B-Instruct.Q4_K_M.gguf", "qwen2.5-1.5b")
            }
        }

        /// How close the engine is held to llama.cpp: logits within `logit`, and the golden token
        /// top-1 wherever the golden margin is at least `topOneMargin` (the 0.5 and 0.7).
        /// Gemma 3 is held looser, because llama.cpp itself does not hold it tighter:
        /// `scripts/make-goldens --spread gemma3-270m` runs llama.cpp again without its weight
        /// repacking (first-position logits move up to 0.90, teacher-forced up to 1.68, two top-1
        /// changes) and with flash attention (1.23 and 2.52); on Qwen2.5 0.5B the same runs move
        /// 0.15/0.25 and 0.10/0.33. Parley is within 0.62 of the goldens at the first position,
        /// and one teacher-forced step of golden margin 1.02 (python_fibonacci 23) flips with one
        /// summation order of Q5_0 and holds with another. Layer 0 agrees with llama.cpp's to 1e-6;
        /// the model amplifies summation-order noise layer by layer (ARCHITECTURE.md, K-quants).
        var tolerance: (logit: Float, topOneMargin: Float) {
            switch self {
            case .smollm2, .qwen2_5_0_5b, .qwen2_5_1_5b: (0.5, 0.7)
            case .gemma3_270m: (1.0, 1.1)
            }
        }

        var path: String { repositoryRoot.appendingPathComponent("models/\(file.name)").path }

        var golden: Golden { Golden.all[self]! }
    }

    /// One chat case of one model's goldens.
    struct Case: Sendable, CustomTestStringConvertible {
        let model: Model
        let index: Int
        var golden: ChatCase { model.golden.chat_cases[index] }
        var testDescription: String { "\(model.rawValue) \(golden.name)" }
    }

    /// One tokenizer case of one model's goldens.
    struct TextCase: Sendable, CustomTestStringConvertible {
        let model: Model
        let index: Int
        var golden: TokenizerCase { model.golden.tokenizer_cases[index] }
        var testDescription: String { "\(model.rawValue) #\(index)" }
    }

    static let chatCases = Model.checked.flatMap { model in model.golden.chat_cases.indices.map { Case(model: model, index: $0) } }
    static let textCases = Model.checked.flatMap { model in
        model.golden.tokenizer_cases.indices.map { TextCase(model: model, index: $0) }
    }

    static func load(_ model: Model) -> Golden {
        do {
            return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: model.fixture))
        } catch {
            fatalError("cannot read the golden fixture \(model.fixture.path): \(error)")
        }
    }

    /// Every model's goldens, read once.
    static let all = Dictionary(uniqueKeysWithValues: Model.allCases.map { ($0, load($0)) })

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The reference model's goldens.
    static var shared: Golden { Model.smollm2.golden }

    static var modelPath: String { Model.smollm2.path }

    struct ModelMissing: Error, CustomStringConvertible {
        var model = Model.smollm2
        var description: String { "\(model.file.name) is missing at \(model.path); run scripts/fetch-model \(model.file.fetch)" }
    }

    /// The reference model file, opened once.
    static func file() throws -> GGUFFile {
        guard FileManager.default.fileExists(atPath: modelPath) else { throw ModelMissing() }
        return try GGUFFile(path: modelPath)
    }
}
