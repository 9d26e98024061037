import Foundation
import Logging
import ParleyCore
@testable import ParleyIRC
import ParleyTesting
import Synchronization
import Testing

/// A streamed reply through the whole bot into the IRC connector: each line reaches the wire when
/// it is complete, before the rest of the reply exists.
@Suite struct IRCStreamedDeliveryTests {
    @Test func theFirstLineIsOnTheWireBeforeTheReplyIsFinished() async throws {
        let server = IRCConnectorTests.MemoryServer()
        let configuration = IRCConnectorConfiguration(
            network: "net", endpoint: IRCEndpoint(host: "irc.test", port: 6697),
            session: IRCSessionConfiguration(nick: "parley", channels: [.init("#c")]),
            flood: FloodControl(burst: 100, interval: .milliseconds(1)))
        let connector = IRCConnector(
            configuration: configuration, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }),
            open: { _ in server })
        let gate = Gate()
        let backend = ScriptedBackend { _ in
            // The first line and half of the second, then nothing until the test opens the gate.
            return ["First line is done.\nSecond li"]
        }
        let slow = GatedBackend(first: backend, gate: gate, rest: ["ne arrives later."])
        let bot = Bot(
            configuration: BotConfiguration(name: "parley"), connectors: [connector], backends: [slow],
            policies: ChannelPolicies(fallback: ChannelPolicy(backend: slow.name)),
            logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        _ = try await eventually("registration") { server.lines.contains("USER parley 0 * :Parley chat bot") ? true : nil }
        server.say(":irc.test 001 parley :Welcome")
        server.say(":irc.test 376 parley :End of MOTD")
        server.say(":parley!bot@bot.example JOIN #c")
        server.say(":alice!a@h PRIVMSG #c :parley: tell me")

        let first = try await eventually("the first line on the wire") {
            server.lines.first { $0.hasPrefix("PRIVMSG #c :") }
        }
        #expect(first == "PRIVMSG #c :alice: First line is done.")
        #expect(gate.arrivals == 1, "the backend is still waiting: the rest of the reply does not exist yet")
        #expect(!server.lines.contains { $0.contains("Second") }, "never half a line")
        gate.open()
        _ = try await eventually("the second line") { server.lines.first { $0.contains("Second line arrives later.") } }
    }
}

/// A backend that streams `first`'s chunks, waits at `gate`, then streams `rest`.
struct GatedBackend: GenerationBackend {
    let first: ScriptedBackend
    let gate: Gate
    let rest: [String]
    var name: BackendName { "gated" }
    var contextWindow: Int { 4096 }
    func tokenCount(of message: ChatMessage) -> Int { TokenEstimate.tokens(in: message) }

    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error> {
        let head = first.stream(request)
        let gate = gate
        let rest = rest
        return AsyncThrowingStream { continuation in
            let task = Task {
                for try await chunk in head where chunk.finishReason == nil { continuation.yield(chunk) }
                await gate.wait()
                for text in rest { continuation.yield(GenerationChunk(text: text)) }
                continuation.yield(GenerationChunk(text: "", finishReason: .stop))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
