@testable import ParleyInference
import Testing

@Suite struct ChatTemplateTests {
    @Test(arguments: Golden.chatCases.filter { $0.golden.prompt == nil })
    func rendersEachModelsTemplateExactly(_ test: Golden.Case) throws {
        let golden = test.golden
        let model = try GoldenModelTests.model(test.model)
        let messages = golden.messages.map { ChatTemplate.Message(role: $0.role, content: $0.content) }
        #expect(model.chatTemplate.render(messages) == golden.rendered_prompt, "\(test)")
    }

    @Test func insertsTheTemplatesDefaultSystemPromptOnlyWhenThereIsNone() throws {
        let template = try GoldenModelTests.model.get().chatTemplate
        #expect(template.style == .chatML)
        #expect(template.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let rendered = template.render([.init(role: "user", content: "hi")])
        #expect(rendered == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test(arguments: [
        ("{{ '<|start_header_id|>' + message['role'] }}", ChatTemplate.Style.llama3),
        ("{{ '<start_of_turn>' + role }}", .gemma),
        ("{{ '<|user|>' }}{{ '<|end|>' }}{{ '<|assistant|>' }}", .phi3),
        ("{{ '<|user|>' }}{{ eos_token }}{{ '<|assistant|>' }}", .zephyr),
        ("[INST] <<SYS>>", .llama2),
        ("{{ '[INST] ' + content + ' [/INST]' }}", .mistral),
        ("something unknown", .chatML),
    ])
    func recognisesCommonTemplates(source: String, style: ChatTemplate.Style) {
        #expect(ChatTemplate(jinja: source).style == style)
    }

    @Test func rendersEachStyle() {
        let messages: [ChatTemplate.Message] = [.init(role: "system", content: "S"), .init(role: "user", content: "U")]
        #expect(ChatTemplate(style: .llama3).render(messages)
            == "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
        #expect(ChatTemplate(style: .llama2).render(messages) == "[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST]")
        #expect(ChatTemplate(style: .mistral).render(messages) == "[INST] S\n\nU [/INST]")
        #expect(ChatTemplate(style: .gemma).render(messages) == "<start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\n")
        #expect(ChatTemplate(style: .phi3).render(messages) == "<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\n")
        #expect(ChatTemplate(style: .zephyr).render(messages) == "<|system|>\nS</s>\n<|user|>\nU</s>\n<|assistant|>\n")
    }
}
