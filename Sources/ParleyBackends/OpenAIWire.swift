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
        /// `{"include_usage": true}` when streaming: the last event then says how many tokens
        /// the server counted in the prompt.
        var streamOptions: StreamOptions?

        struct StreamOptions: Encodable {
            var includeUsage = true

            enum CodingKeys: String, CodingKey {
                case includeUsage = "include_usage"
            }
        }

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, temperature, stop, seed
            case maxTokens = "max_tokens"
            case topP = "top_p"
            case streamOptions = "stream_options"
        }
    }

    /// What the server counted (`usage`); servers that count nothing leave it out.
    struct Usage: Decodable {
        var promptTokens: Int?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
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
        var usage: Usage?

        enum CodingKeys: String, CodingKey {
            case choices, usage
        }

        /// The usage event comes with no choices; a chunk without either is malformed.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            usage = try? container.decodeIfPresent(Usage.self, forKey: .usage)
            if usage != nil {
                choices = (try? container.decodeIfPresent([Choice].self, forKey: .choices)) ?? []
            } else {
                choices = try container.decode([Choice].self, forKey: .choices)
            }
        }
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
        var usage: Usage?

        enum CodingKeys: String, CodingKey {
            case choices, usage
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            choices = try container.decode([Choice].self, forKey: .choices)
            usage = try? container.decodeIfPresent(Usage.self, forKey: .usage)
        }
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
