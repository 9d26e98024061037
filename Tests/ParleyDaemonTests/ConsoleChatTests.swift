import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import ParleyCore
@testable import ParleyDaemon
import Synchronization
import ParleyTesting
import Testing

@Suite struct ConsoleChatTests {
    /// Runs `parley chat` in-process on `lines` with a config whose storage is a temporary file;
    /// returns what it printed.
    static let echoConfig = """
        storage: { path: data/parley.sqlite }
        backends:
          default: { type: echo }
        networks:
          console: { type: console }
        channels:
          - match: { network: console }
            trigger: always
            backend: default

        """

    func chat(_ lines: [String], config: String = Self.echoConfig) async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-chat-\(UUID().uuidString)")
        let text = config.replacingOccurrences(of: "data/parley.sqlite", with: folder.appendingPathComponent("p.sqlite").path)
        let configuration = try ConfigLoader.parse(text, file: "test.yaml", environment: [:])
        return try await Daemon.chat(
            configuration, input: lines, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static let misbehavingPlugin = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../ParleyPluginsTests/Fixtures/misbehaving").standardized.path

    // Issue 13: a plugin that hangs, exits mid-call, writes what is not JSON or floods without a
    // newline costs that call (at most its timeout) and nothing more, through the whole daemon:
    // the sender hears one sentence, the next message is answered, the plugin is started again.
    @Test(arguments: ["hang", "exit", "garbage", "flood"])
    func aMisbehavingPluginCostsOneCallAndTheNextMessageIsAnswered(_ fault: String) async throws {
        let config = Self.echoConfig + """
            moderation: { rate_limit: { per_user: off } }
            plugins:
              misbehaving: { path: "\(Self.misbehavingPlugin)", timeout_ms: 300 }

            """
        let printed = try await chat(["!try \(fault)", "parley: still there?", "!plugins"], config: config)
        let lines = printed.split(separator: "\n").map(String.init)
        #expect(lines.contains("<parley> Sorry, the misbehaving plugin is not working right now."), "\(lines)")
        // The answer streams in fragments, which the console breaks around another reply that
        // comes meanwhile: put the answer's pieces back together.
        let answer = lines.filter { !$0.hasPrefix("<parley> Sorry") && !$0.hasPrefix("<parley> misbehaving") }
            .map { $0.hasPrefix("<parley> ") ? String($0.dropFirst("<parley> ".count)) : $0 }.joined()
        #expect(answer == "You said: still there?", "\(lines)")
        #expect(lines.contains { $0.hasPrefix("<parley> misbehaving 1.0: ") }, "\(lines)")
    }

    @Test func answersThroughTheFullPathAndStopsWhenInputEnds() async throws {
        let printed = try await chat(["parley: hello"])
        #expect(printed == "<parley> You said: hello\n")
    }

    @Test func runsCommandsFromTheConsole() async throws {
        #expect(try await chat(["!ping"]) == "<parley> pong\n")
    }

    @Test func honoursTheChannelsTrigger() async throws {
        let config = Self.echoConfig.replacingOccurrences(of: "trigger: always", with: "trigger: mention")
        #expect(try await chat(["not for you", "parley: for you"], config: config) == "<parley> You said: for you\n")
    }

    @Test func theEmbeddedDefaultAnswersWithTheLocalModel() async throws {
        let printed = try await chat(["parley: hello"], config: EmbeddedConfiguration.text)
        #expect(printed.hasPrefix("<parley> "))
        #expect(printed.hasSuffix("\n"))
        #expect(printed.count > "<parley> \n".count)
        #expect(!printed.contains("You said"))
    }

    @Test func aLineStartingWithAChannelNameGoesToThatChannel() {
        let connector = ConsoleConnector(network: "console", user: "ops", botName: "parley")
        let tagged = connector.message("#sales parley, hi", number: 1)
        #expect(tagged.channel.channel == "#sales" && tagged.text == "parley, hi" && tagged.addressing == .addressed(body: "hi"))
        for line in ["#", "#alone", "# spaced", "hello #sales"] {
            let plain = connector.message(line, number: 2)
            #expect(plain.channel.channel == ConsoleConnector.channel && plain.text == line, "\(line)")
        }
    }

    /// Two channels' replies streaming at once print as they come: each change of channel starts
    /// a line tagged with it, and every reply's pieces keep their order.
    @Test func repliesStreamingInTwoChannelsAtOncePrintInterleavedAndTagged() async throws {
        let printed = Mutex("")
        let connector = ConsoleConnector(
            network: "console", user: "ops", botName: "parley", input: { nil },
            output: { text in printed.withLock { $0 += text } })
        let main = ChannelKey(network: "console", channel: ConsoleConnector.channel)
        let sales = ChannelKey(network: "console", channel: "#sales")
        for (channel, text, part) in [
            (main, "Hel", OutboundMessage.Part.fragment), (sales, "Wor", .fragment), (main, "lo", .fragment),
            (main, "", .end), (sales, "ld", .fragment), (sales, "!", .end), (main, "done", .complete),
        ] {
            try await connector.send(OutboundMessage(channel: channel, text: text, part: part))
        }
        #expect(printed.withLock { $0 } == "<parley> Hel\n[#sales] <parley> Wor\n<parley> lo\n[#sales] <parley> ld!\n<parley> done\n")
    }

    @Test func theConsoleUserIsTheLocalAccount() {
        let connector = ConsoleConnector(network: "console", user: "ops", botName: "parley")
        let message = connector.message("parley, hi", number: 1)
        #expect(message.sender.account == "ops")
        #expect(message.addressing == .addressed(body: "hi"))
    }
}

extension ConsoleChatTests {
    /// A console that always answers through `hosted`, an OpenAI backend at a dead port, and
    /// then through the backends in `fallback`.
    static func deadHostedConfig(fallback: [String]) -> String {
        """
        storage: { path: data/parley.sqlite }
        backends:
          hosted: { type: openai, base_url: "http://127.0.0.1:\(unusedLocalPort())/v1", model: gpt-test, retries: 0, api_key: sk-hidden }
          spare: { type: echo }
        networks:
          console: { type: console }
        channels:
          - match: { network: console }
            trigger: always
            backend: hosted
            fallback: [\(fallback.joined(separator: ", "))]

        """
    }

    @Test func aDeadHostedBackendFallsOverToTheNextWithoutSayingSo() async throws {
        #expect(try await chat(["parley: hello"], config: Self.deadHostedConfig(fallback: ["spare"])) == "<parley> You said: hello\n")
    }

    @Test func aDeadHostedBackendAloneIsOneShortSentence() async throws {
        let printed = try await chat(["parley: hello"], config: Self.deadHostedConfig(fallback: []))
        #expect(printed == "<parley> Sorry, I couldn't produce an answer just now; please try again in a moment.\n")
    }
}

extension ConsoleChatTests {
    @Test func aDeadHostedBackendFallsOverToTheLocalEngine() async throws {
        let config = Self.deadHostedConfig(fallback: ["engine"]).replacingOccurrences(
            of: "  spare: { type: echo }", with: "  engine: { type: local, model: models/SmolLM2-135M-Instruct.Q4_1.gguf, context: 512 }")
        let folder = ConfigLoaderTests.repositoryRoot
        let printed = try await chat(["parley: hello"], config: config.replacingOccurrences(of: "models/", with: folder.appendingPathComponent("models").path + "/"))
        #expect(printed.hasPrefix("<parley> ") && printed.count > "<parley> \n".count)
        // Not the failure sentence, and not the dead backend's spare: the engine's own words.
        #expect(!printed.contains(GenerationError.backendFailed(backend: "", detail: "").userMessage) && !printed.contains("You said"))
    }
}
