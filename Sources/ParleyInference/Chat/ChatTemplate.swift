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

    /// The prompt for `messages`, ending with the opening of the assistant's turn.
    public func render(_ messages: [Message], addGenerationPrompt: Bool = true) -> String {
        var messages = messages
        if let defaultSystemPrompt, messages.first?.role != "system" {
            messages.insert(Message(role: "system", content: defaultSystemPrompt), at: 0)
        }
        var out = ""
        switch style {
        case .chatML:
            for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .llama3:
            for m in messages { out += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(m.content)<|eot_id|>" }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .phi3:
            for m in messages { out += "<|\(m.role)|>\n\(m.content)<|end|>\n" }
            if addGenerationPrompt { out += "<|assistant|>\n" }
        case .zephyr:
            for m in messages { out += "<|\(m.role)|>\n\(m.content)</s>\n" }
            if addGenerationPrompt { out += "<|assistant|>\n" }
        case .gemma:
            var system = ""
            for m in messages {
                if m.role == "system" {
                    system = m.content + "\n\n"
                    continue
                }
                let role = m.role == "assistant" ? "model" : m.role
                out += "<start_of_turn>\(role)\n\(system)\(m.content)<end_of_turn>\n"
                system = ""
            }
            if addGenerationPrompt { out += "<start_of_turn>model\n" }
        case .llama2, .mistral:
            // [INST] user [/INST] assistant</s> ... ; Llama 2 wraps a system prompt in <<SYS>>
            // inside the first instruction, Mistral prepends it to the first user message.
            var system: String?
            for m in messages {
                switch m.role {
                case "system":
                    system = m.content
                case "assistant":
                    out += " \(m.content)</s>"
                default:
                    var content = m.content
                    if let pending = system {
                        content = style == .llama2 ? "<<SYS>>\n\(pending)\n<</SYS>>\n\n\(content)" : "\(pending)\n\n\(content)"
                        system = nil
                    }
                    out += "[INST] \(content) [/INST]"
                }
            }
        }
        return out
    }
}
