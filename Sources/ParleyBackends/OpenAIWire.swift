import Foundation
import ParleyCore

/// The parts of the OpenAI Chat Completions wire format Parley writes and reads. Decoding ignores
/// every field it does not name, so servers that add their own (vLLM, llama.cpp, Ollama) decode.
enum OpenAIWire {
    struct Request: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
        }

        var model: String
        var messages: [Message]
        var stream: Bool
        var maxTokens: Int?
        var temperature: Double?
        var topP: Double?
        var stop: [String]?
        var seed: UInt64?

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, temperature, stop, seed
            case maxTokens = "max_tokens"
            case topP = "top_p"
        }
    }

    /// One `data:` event of a streamed reply.
    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                var content: String?
            }

            var delta: Delta?
            var finishReason: String?

            enum CodingKeys: String, CodingKey {
                case delta
                case finishReason = "finish_reason"
            }
        }

        var choices: [Choice]
    }

    /// A whole (non-streamed) reply.
    struct Completion: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                var content: String?
            }

            var message: Message
            var finishReason: String?

            enum CodingKeys: String, CodingKey {
                case message
                case finishReason = "finish_reason"
            }
        }

        var choices: [Choice]
    }

    /// `{"error": {"message": "…"}}`, as OpenAI and most compatible servers report failures.
    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var message: String?
        }

        var error: Detail?
    }

    /// OpenAI's `finish_reason` as Parley's: `length` is a cut reply, anything else a stop.
    static func finishReason(_ text: String) -> GenerationChunk.FinishReason {
        text == "length" ? .length : .stop
    }
}
