import ArgumentParser
import Foundation
import ParleyInference

/// `parley model generate FILE (--prompt TEXT | --messages FILE.json)`.
struct ModelGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate text with the local engine.")

    @Argument(help: "The GGUF file.") var file: String
    @Option(help: "A prompt given as is.") var prompt: String?
    @Option(help: "A JSON file of messages, rendered with the model's chat template.") var messages: String?
    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.") var maxTokens = 128
    @Option(help: "0 is greedy.") var temperature: Float = 0
    @Option(help: "Random seed.") var seed: UInt64?
    @Option(help: "Worker threads (default: every core).") var threads: Int?
    @Flag(name: .customLong("ignore-eos"), help: "Do not stop at end-of-generation tokens.") var ignoreEOS = false
    @Flag(help: "Print JSON: the prompt's ids, the generated ids and the text.") var json = false

    func validate() throws {
        guard (prompt == nil) != (messages == nil) else { throw ValidationError("give either --prompt or --messages") }
    }

    func run() async throws {
        let model = try reportingInputErrors { try LanguageModel(path: file, threads: threads) }
        let engine = InferenceEngine(model: model)
        let input: InferenceRequest.Prompt = if let prompt { .text(prompt) } else { .messages(try readMessages(messages!)) }
        var sampling = SamplingParameters.greedy
        if temperature > 0 { sampling = SamplingParameters(temperature: temperature, seed: seed) }
        let request = InferenceRequest(prompt: input, maxTokens: maxTokens, sampling: sampling, ignoreEndOfGeneration: ignoreEOS)
        var text = ""
        for try await event in engine.generate(request) {
            switch event {
            case .text(let piece):
                text += piece
                if !json {
                    FileHandle.standardOutput.write(Data(piece.utf8))
                }
            case .finished(let statistics):
                if json {
                    try printJSON([
                        "prompt_ids": statistics.promptTokens, "generated_ids": statistics.generatedTokens, "text": text,
                        "ending": statistics.ending.rawValue,
                    ])
                } else {
                    print()
                }
            }
        }
    }
}

/// `parley model logits FILE --ids FILE.json --from N [--top K] --json`.
struct ModelLogits: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logits", abstract: "Show next-token logits at each position of given ids.")

    @Argument(help: "The GGUF file.") var file: String
    @Option(help: "A JSON file with an array of token ids.") var ids: String
    @Option(help: "The first position whose prediction to show (the prediction after position N-1).") var from = 1
    @Option(help: "How many candidates per position.") var top = 5
    @Flag(help: "Print JSON (the only format).") var json = false

    func run() throws {
        let tokens: [Int]
        do {
            tokens = try JSONDecoder().decode([Int].self, from: Data(contentsOf: URL(fileURLWithPath: ids)))
        } catch {
            throw ValidationError("\(ids): expected a JSON array of token ids (\(error))")
        }
        guard (1...tokens.count).contains(from) else { throw ValidationError("--from must be between 1 and \(tokens.count)") }
        let model = try reportingInputErrors { try LanguageModel(path: file, threads: nil) }
        let cache = model.makeCache()
        if from > 1 { _ = try model.evaluate(Array(tokens[..<(from - 1)]), cache: cache) }
        let rows = try model.evaluateAll(Array(tokens[(from - 1)...]), cache: cache)
        let positions = rows.enumerated().map { offset, logits -> [String: Any] in
            let best = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }.prefix(top)
            return ["position": from - 1 + offset, "top": best.map { ["id": $0, "logit": Double(logits[$0])] }]
        }
        try printJSON(["ids": tokens, "from": from, "positions": positions])
    }
}
