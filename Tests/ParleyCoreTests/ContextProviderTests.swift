import ParleyCore
import ParleyTesting
import Testing

@Suite struct ContextProviderTests {
    struct Topic: ContextProvider {
        let text: String?
        let name = "topic"
        func context(for message: InboundMessage) async -> String? { text }
    }

    struct Asker: ContextProvider {
        let name = "asker"
        func context(for message: InboundMessage) async -> String? { "Asked by \(message.sender.displayName)." }
    }

    struct TopicPlugin: Plugin {
        let providers: [any ContextProvider]
        let name = "topic"
        var contextProviders: [any ContextProvider] { providers }
    }

    @Test func aProvidersTextJoinsTheSystemPromptOfThatReply() async throws {
        let backend = ScriptedBackend(replying: "ok")
        let tester = BotTester(
            policy: ChannelPolicy(systemPrompt: "You are Parley.", backend: backend.name), backends: [backend],
            plugins: [TopicPlugin(providers: [Topic(text: "The topic is ducks."), Topic(text: nil), Topic(text: "  \n"), Asker()])])
        _ = try await tester.reply(to: "parley: what is the topic?")
        let system = try #require(backend.requests.first?.messages.first)
        #expect(system.role == .system)
        #expect(system.content == "You are Parley.\n\nThe topic is ducks.\n\nAsked by alice.")
        await tester.stop()
    }

    @Test func aProviderAddsAtMostItsShareAndIsCountedInTheBudget() async throws {
        /// How many messages the prompt holds after 30 filler lines, with and without the provider.
        func promptSize(with providers: [any ContextProvider]) async throws -> (messages: Int, system: String) {
            // One token per word: a 2000-character provider text of one-letter words costs 1000.
            let backend = ScriptedBackend(name: "scripted", contextWindow: 1300) { _ in ["ok"] }
            let tester = BotTester(
                policy: ChannelPolicy(
                    systemPrompt: "S", backend: backend.name, parameters: GenerationParameters(maxTokens: 100), recordsChatter: true),
                backends: [backend], plugins: [TopicPlugin(providers: providers)])
            for index in 0..<30 { tester.say("filler line number \(index) with a few words") }
            _ = try await tester.reply(to: "parley: and now?")
            await tester.stop()
            let request = try #require(backend.requests.last)
            return (request.messages.count, request.messages[0].content)
        }
        let without = try await promptSize(with: [])
        let with = try await promptSize(with: [Topic(text: String(repeating: "x ", count: 5000))])
        #expect(with.system.count <= "S\n\n".count + 2000)
        #expect(without.messages == 32, "every filler line fits without the provider")
        #expect(with.messages < 25, "the provider's 1000 tokens leave room for fewer: \(with.messages)")
    }
}
