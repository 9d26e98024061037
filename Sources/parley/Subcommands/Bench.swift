import ArgumentParser
import Foundation
import ParleyInference

/// `parley bench FILE`: prompt-processing and generation speed of the local engine.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure the local engine's speed on a model.")

    @Argument(help: "The GGUF file.") var file: String
    @Option(help: "Worker threads (default: every core).") var threads: Int?
    @Option(name: .customLong("prompt-tokens"), help: "Prompt tokens to process.") var promptTokens = 512
    @Option(name: .customLong("gen-tokens"), help: "Tokens to generate.") var genTokens = 128
    @Option(help: "Repetitions; the median is reported.") var repetitions = 3
    @Flag(help: "Also measure memory read bandwidth and the generation speed it allows.") var memory = false

    func run() throws {
        let model = try reportingInputErrors {
            try LanguageModel(path: file, contextLength: promptTokens + genTokens + 8, threads: threads)
        }
        // Deterministic, ordinary token ids (not special ones).
        let vocabulary = model.hyperparameters.vocabularySize
        let prompt = (0..<promptTokens).map { 1000 + ($0 * 7919) % (vocabulary - 1000) }
        var prefill: [Double] = []
        var generation: [Double] = []
        for _ in 0..<repetitions {
            let cache = model.makeCache()
            var start = Date()
            var logits = try model.evaluate(prompt, cache: cache)
            prefill.append(Double(promptTokens) / Date().timeIntervalSince(start))
            let generationCache = model.makeCache()
            logits = try model.evaluate([prompt[0]], cache: generationCache)
            start = Date()
            for _ in 0..<genTokens {
                logits = try model.evaluate([Sampler.argmax(logits)], cache: generationCache)
            }
            generation.append(Double(genTokens) / Date().timeIntervalSince(start))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        print(String(format: "pp%d: %.1f tok/s   tg%d: %.1f tok/s   (threads %d, median of %d)",
                     promptTokens, median(prefill), genTokens, median(generation), model.threads, repetitions))
        if memory {
            let bandwidth = model.readBandwidth()
            let perToken = Double(model.weightBytesPerToken)
            print(String(format: "memory: %.1f GB/s read (threads %d); %.0f MB of weights per token; ceiling %.1f tok/s; tg at %.0f%% of it",
                         bandwidth / 1e9, model.threads, perToken / 1e6, bandwidth / perToken,
                         100 * median(generation) / (bandwidth / perToken)))
        }
    }
}
