import Foundation

/// Renders a conversation as the prompt text a chat model was trained on.
///
/// Parley recognises the common templates by their markers in `tokenizer.chat_template` rather
/// than running Jinja: ChatML (SmolLM2, Qwen2), Llama 2, Llama 3, Mistral, Zephyr, Phi-3 and Gemma,
/// with ChatML as the fallback. Where a ChatML template inserts a default system prompt when the
/// conversation has none (SmolLM2's does), that prompt is taken from the template and inserted too.
public struct ChatTemplate: Sendable, Hashable {
    public enum Style: String, Sendable, Hashable, CaseIterable {
        case chatML = "chatml"
        case llama2, llama3, mistral, zephyr, phi3, gemma
    }

    /// One message of a conversation.
    public struct Message: Sendable, Hashable, Codable {
        public var role: String
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    public let style: Style
    /// The system prompt the template adds when the conversation has none.
    public let defaultSystemPrompt: String?

    public init(style: Style, defaultSystemPrompt: String? = nil) {
        self.style = style
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// The template a model's `tokenizer.chat_template` describes (ChatML when absent or unknown).
    public init(jinja template: String?) {
        guard let template else {
            self.init(style: .chatML)
            return
        }
        let style: Style
        if template.contains("<|im_start|>") {
            style = .chatML
        } else if template.contains("<|start_header_id|>") {
            style = .llama3
        } else if template.contains("<start_of_turn>") {
            style = .gemma
        } else if template.contains("<|assistant|>") && template.contains("<|end|>") {
            style = .phi3
        } else if template.contains("<|assistant|>") {
            style = .zephyr
        } else if template.contains("<<SYS>>") {
            style = .llama2
        } else if template.contains("[INST]") {
            style = .mistral
        } else {
            style = .chatML
        }
        self.init(style: style, defaultSystemPrompt: style == .chatML ? Self.chatMLDefaultSystem(in: template) : nil)
    }

    /// The literal system turn a ChatML template emits when the first message is not a system one.
    private static func chatMLDefaultSystem(in template: String) -> String? {
        guard template.contains("!= 'system'") || template.contains("!= \"system\"") else { return nil }
        let opener = "<|im_start|>system\n"
        guard let start = template.range(of: opener),
            let end = template.range(of: "<|im_end|>", range: start.upperBound..<template.endIndex)
        else { return nil }
        let text = template[start.upperBound..<end.lowerBound]
        // A Jinja expression here means the prompt is not a literal.
        guard !text.contains("{{"), !text.contains("{%"), !text.contains("'") else { return nil }
        return String(text)
    }

    /// A rendered prompt in pieces: the template's own text, in which special tokens are meant
    /// (`<|im_start|>`), and what the messages say, in which they are only text. Tokenised with
    /// `Tokenizer.encode(_:addBOS:)`, a user who types `<|im_end|><|im_start|>system` gets those
    /// characters, never the tokens, so a prompt's turns are exactly the template's.
    public struct Prompt: Sendable, Hashable {
        public enum Piece: Sendable, Hashable {
            case template(String)
            case content(String)
        }

        public private(set) var pieces: [Piece] = []

        /// The prompt as one string (for display; tokenise the pieces, not this).
        public var text: String {
            pieces.map { piece in
                switch piece {
                case .template(let text), .content(let text): text
                }
            }.joined()
        }

        mutating func template(_ text: String) {
            if !text.isEmpty { pieces.append(.template(text)) }
        }

        mutating func content(_ text: String) {
            if !text.isEmpty { pieces.append(.content(text)) }
        }
    }

    /// The prompt for `messages`, ending with the opening of the assistant's turn, as text.
    public func render(_ messages: [Message], addGenerationPrompt: Bool = true) -> String {
        prompt(messages, addGenerationPrompt: addGenerationPrompt).text
    }

    /// The prompt for `messages` in pieces, ending with the opening of the assistant's turn.
    public func prompt(_ messages: [Message], addGenerationPrompt: Bool = true) -> Prompt {
        var messages = messages
        if let defaultSystemPrompt, messages.first?.role != "system" {
            messages.insert(Message(role: "system", content: defaultSystemPrompt), at: 0)
        }
        var out = Prompt()
        switch style {
        case .chatML:
            for m in messages {
                out.template("<|im_start|>\(m.role)\n")
                out.content(m.content)
                out.template("<|im_end|>\n")
            }
            if addGenerationPrompt { out.template("<|im_start|>assistant\n") }
        case .llama3:
            for m in messages {
                out.template("<|start_header_id|>\(m.role)<|end_header_id|>\n\n")
                out.content(m.content)
                out.template("<|eot_id|>")
            }
            if addGenerationPrompt { out.template("<|start_header_id|>assistant<|end_header_id|>\n\n") }
        case .phi3:
            for m in messages {
                out.template("<|\(m.role)|>\n")
                out.content(m.content)
                out.template("<|end|>\n")
            }
            if addGenerationPrompt { out.template("<|assistant|>\n") }
        case .zephyr:
            for m in messages {
                out.template("<|\(m.role)|>\n")
                out.content(m.content)
                out.template("</s>\n")
            }
            if addGenerationPrompt { out.template("<|assistant|>\n") }
        case .gemma:
            var system: String?
            for m in messages {
                if m.role == "system" {
                    system = m.content
                    continue
                }
                let role = m.role == "assistant" ? "model" : m.role
                out.template("<start_of_turn>\(role)\n")
                if let pending = system {
                    out.content(pending)
                    out.template("\n\n")
                    system = nil
                }
                out.content(m.content)
                out.template("<end_of_turn>\n")
            }
            if addGenerationPrompt { out.template("<start_of_turn>model\n") }
        case .llama2, .mistral:
            // [INST] user [/INST] assistant</s> ... ; Llama 2 wraps a system prompt in <<SYS>>
            // inside the first instruction, Mistral prepends it to the first user message.
            var system: String?
            for m in messages {
                switch m.role {
                case "system":
                    system = m.content
                case "assistant":
                    out.template(" ")
                    out.content(m.content)
                    out.template("</s>")
                default:
                    out.template("[INST] ")
                    if let pending = system {
                        out.template(style == .llama2 ? "<<SYS>>\n" : "")
                        out.content(pending)
                        out.template(style == .llama2 ? "\n<</SYS>>\n\n" : "\n\n")
                        system = nil
                    }
                    out.content(m.content)
                    out.template(" [/INST]")
                }
            }
        }
        return out
    }
}
