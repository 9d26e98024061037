import ArgumentParser
import Foundation
import ParleyInference

/// `parley model …`: look inside a GGUF model and run it directly.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Inspect and run GGUF models with the local engine.",
        subcommands: [ModelInfo.self, ModelTokenize.self, ModelRender.self, ModelGenerate.self, ModelLogits.self])
}

/// Prints `value` as JSON on standard output.
func printJSON(_ value: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// Messages from a JSON file: `[{"role": "user", "content": "…"}, …]`.
func readMessages(_ path: String) throws -> [ChatTemplate.Message] {
    do {
        return try JSONDecoder().decode([ChatTemplate.Message].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
        throw ValidationError("\(path): expected a JSON array of {\"role\", \"content\"} objects (\(error))")
    }
}

/// `parley model info FILE`: metadata, architecture, tensor types and template.
struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show a model's metadata and tensors.")

    @Argument(help: "The GGUF file.") var file: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let gguf = try reportingInputErrors { try GGUFFile(path: file) }
        var types: [String: Int] = [:]
        for tensor in gguf.tensors { types[tensor.type.description, default: 0] += 1 }
        let template = ChatTemplate(jinja: gguf["tokenizer.chat_template"]?.string)
        let hyper = try? ModelHyperparameters(file: gguf)
        if json {
            var metadata: [String: String] = [:]
            for (key, value) in gguf.metadata { metadata[key] = value.summary }
            var object: [String: Any] = [
                "file": file, "version": Int(gguf.version), "size_bytes": gguf.fileSize, "tensor_count": gguf.tensors.count,
                "tensor_types": types, "metadata": metadata, "chat_template": template.style.rawValue,
            ]
            if let hyper {
                object["architecture"] = hyper.architecture
                object["layers"] = hyper.layers
                object["dimension"] = hyper.dimension
                object["heads"] = hyper.heads
                object["kv_heads"] = hyper.kvHeads
                object["vocabulary"] = hyper.vocabularySize
                object["context_length"] = hyper.trainedContext
            }
            try printJSON(object)
            return
        }
        print("\(file): GGUF v\(gguf.version), \(gguf.fileSize) bytes, \(gguf.tensors.count) tensors")
        if let hyper {
            print("architecture \(hyper.architecture): \(hyper.layers) layers, width \(hyper.dimension), feed-forward \(hyper.feedForward), \(hyper.heads) heads (\(hyper.kvHeads) KV), vocabulary \(hyper.vocabularySize), trained context \(hyper.trainedContext)")
        }
        print("tensor types: " + types.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        print("chat template: \(template.style.rawValue)" + (template.defaultSystemPrompt.map { " (default system prompt: \"\($0)\")" } ?? ""))
        for (key, value) in gguf.metadata { print("  \(key) = \(value.summary)") }
    }
}

/// `parley model tokenize FILE --text TEXT`.
struct ModelTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "Show the token ids of a text.")

    @Argument(help: "The GGUF file.") var file: String
    @Option(help: "The text (special tokens in it are parsed).") var text: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let tokenizer = try reportingInputErrors { try Tokenizer(gguf: GGUFFile(path: file)) }
        let ids = tokenizer.encode(text)
        if json {
            try printJSON(["ids": ids, "pieces": ids.map { String(decoding: tokenizer.bytes(of: $0), as: UTF8.self) }])
        } else {
            for id in ids { print(id, String(reflecting: String(decoding: tokenizer.bytes(of: id), as: UTF8.self))) }
        }
    }
}

/// `parley model render FILE --messages FILE.json`.
struct ModelRender: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Show the prompt a conversation renders to.")

    @Argument(help: "The GGUF file.") var file: String
    @Option(help: "A JSON file of messages.") var messages: String

    func run() throws {
        let gguf = try reportingInputErrors { try GGUFFile(path: file) }
        let template = ChatTemplate(jinja: gguf["tokenizer.chat_template"]?.string)
        print(template.render(try readMessages(messages)), terminator: "")
    }
}
