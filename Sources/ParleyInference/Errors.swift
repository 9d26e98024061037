/// A GGUF file that cannot be used, with where in it and why.
public struct GGUFError: Error, CustomStringConvertible, Equatable {
    /// What is wrong.
    public enum Reason: Equatable, Sendable {
        case unreadable(String)
        case notGGUF
        case unsupportedVersion(UInt32)
        case truncated(needed: UInt64, available: UInt64)
        case implausibleCount(what: String, count: UInt64)
        case invalidString(String)
        case unknownValueType(UInt32)
        case nestingTooDeep
        case duplicateKey(String)
        case badAlignment(String)
        case invalidBool(UInt8)
        case metadataTooLarge(limit: Int)
        case invalidTensor(name: String, problem: String)
        case duplicateTensor(String)
        case unknownTensorType(name: String, type: UInt32)
    }

    public var file: String
    /// Byte offset in the file where the problem is, when it is at one place.
    public var offset: UInt64?
    public var reason: Reason

    public var description: String {
        let place = offset.map { "\(file) at byte \($0)" } ?? file
        let what: String = switch reason {
        case .unreadable(let detail): "cannot read the file: \(detail)"
        case .notGGUF: "not a GGUF file (the magic bytes are not 'GGUF')"
        case .unsupportedVersion(let version): "GGUF version \(version) is not supported (versions 2 and 3 are)"
        case .truncated(let needed, let available):
            "the file ends early: \(needed) more bytes needed, \(available) left; the download is probably incomplete"
        case .implausibleCount(let what, let count): "\(count) \(what) cannot fit in the file; it is corrupt"
        case .invalidString(let detail): "a string is not valid UTF-8 (\(detail))"
        case .unknownValueType(let type): "unknown metadata value type \(type)"
        case .nestingTooDeep: "metadata arrays nest too deeply"
        case .duplicateKey(let key): "metadata key '\(key)' appears twice"
        case .badAlignment(let alignment): "general.alignment \(alignment) is not a power of two between 1 and 65536"
        case .invalidBool(let byte): "a boolean is the byte 0 or 1, not \(byte)"
        case .metadataTooLarge(let limit): "the metadata would take more than \(limit >> 20) MiB of memory; no real model needs that, the file is corrupt or hostile"
        case .invalidTensor(let name, let problem): "tensor '\(name)': \(problem)"
        case .duplicateTensor(let name): "tensor '\(name)' appears twice"
        case .unknownTensorType(let name, let type): "tensor '\(name)' has unknown type \(type)"
        }
        return "\(place): \(what)"
    }
}

/// A model the engine cannot run, or a request it cannot serve.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case missingMetadata(String)
    case invalidMetadata(key: String, problem: String)
    case unsupportedArchitecture(String)
    case missingTensor(String)
    case tensorShape(name: String, expected: [Int], found: [Int])
    case unsupportedTensorType(name: String, type: String)
    case unsupportedTokenizer(String)
    case contextFull(needed: Int, available: Int)
    case invalidToken(Int)

    public var description: String {
        switch self {
        case .missingMetadata(let key): "the model lacks metadata key '\(key)'"
        case .invalidMetadata(let key, let problem): "metadata '\(key)': \(problem)"
        case .unsupportedArchitecture(let name): "architecture '\(name)' is not supported (\(ModelHyperparameters.architectures.joined(separator: ", ")) are)"
        case .missingTensor(let name): "the model lacks tensor '\(name)'"
        case .tensorShape(let name, let expected, let found): "tensor '\(name)' has shape \(found), expected \(expected)"
        case .unsupportedTensorType(let name, let type): "tensor '\(name)' is \(type), which the engine cannot compute with yet"
        case .unsupportedTokenizer(let model): "tokenizer.ggml.model '\(model)' is not supported (gpt2 and llama are)"
        case .contextFull(let needed, let available):
            "the conversation needs \(needed) tokens but the context holds \(available)"
        case .invalidToken(let id): "token id \(id) is outside the vocabulary"
        }
    }
}
