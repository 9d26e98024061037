import ParleyCore
import ParleyTesting
import Synchronization
import Testing

@Suite struct ChannelSessionTests {
    // Issue 11: each context entry is counted once per backend and the count kept with it, not
    // counted again for every request.
    @Test func eachEntryIsCountedOnceWhateverTheNumberOfRequests() async throws {
        let counted = Mutex<[String]>([])
        let backend = ScriptedBackend(
            tokens: { message in
                counted.withLock { $0.append(message.content) }
                return message.content.split(separator: " ").count + 1
            },
            script: { _ in ["ok"] })
        let tester = BotTester(backend: backend)
        for question in ["one", "two", "three", "four"] {
            _ = try await tester.reply(to: "parley: question \(question)")
        }
        let counts = counted.withLock { $0 }.filter { !$0.hasPrefix("You are") }
        // Four questions and three earlier answers (the last answer is recorded after the last
        // request): seven entries, each counted once.
        #expect(counts.filter { $0.contains("question") }.count == 4, "\(counts)")
        #expect(counts.filter { $0 == "ok" }.count == 3, "\(counts)")
    }
}
