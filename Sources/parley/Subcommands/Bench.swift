import ArgumentParser
import Foundation
import Synchronization
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
    @Option(help: "Also generate for this many conversations at once (comma-separated counts, e.g. 1,2,4,8), decoded together, and report the aggregate rate.")
    var parallel: String?

    func run() throws {
        let counts = try (parallel ?? "").split(separator: ",").map { part in
            guard let count = Int(part), (1...8).contains(count) else {
                throw ValidationError("--parallel takes counts from 1 to 8, e.g. 1,2,4,8")
            }
            return count
        }
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
        for count in counts {
            let rates = (0..<repetitions).map { _ in parallelRate(model, conversations: count) }
            let rate = median(rates)
            print(String(format: "parallel %d: %.1f tok/s in all, %.1f per conversation (tg%d each, threads %d, median of %d)",
                         count, rate, rate / Double(count), genTokens, model.threads, repetitions))
        }
        if memory {
            let bandwidth = model.readBandwidth()
            let perToken = Double(model.weightBytesPerToken)
            print(String(format: "memory: %.1f GB/s read (threads %d); %.0f MB of weights per token; ceiling %.1f tok/s; tg at %.0f%% of it",
                         bandwidth / 1e9, model.threads, perToken / 1e6, bandwidth / perToken,
                         100 * median(generation) / (bandwidth / perToken)))
        }
    }

    /// Tokens per second generated in all by `conversations` conversations started together on
    /// one engine (each its own short prompt, generating `genTokens`), from the first request to
    /// the last token.
    private func parallelRate(_ model: LanguageModel, conversations: Int) -> Double {
        let engine = InferenceEngine(model: model, cachedConversations: conversations, batchWidth: conversations)
        let vocabulary = model.hyperparameters.vocabularySize
        let requests = (0..<conversations).map { c in
            InferenceRequest(
                prompt: .tokens((0..<16).map { 1000 + ($0 * 7919 + c * 104_729) % (vocabulary - 1000) }),
                conversation: "bench-\(c)", maxTokens: genTokens, ignoreEndOfGeneration: true)
        }
        let done = DispatchSemaphore(value: 0)
        let elapsed = Mutex<Double>(0)
        let start = Date()
        Task {
            await withTaskGroup(of: Void.self) { group in
                for request in requests {
                    group.addTask {
                        do {
                            for try await _ in engine.generate(request) {}
                        } catch {
                            FileHandle.standardError.write(Data("bench: \(error)\n".utf8))
                        }
                    }
                }
            }
            elapsed.withLock { $0 = Date().timeIntervalSince(start) }
            done.signal()
        }
        done.wait()
        return Double(conversations * genTokens) / elapsed.withLock { $0 }
    }
}
