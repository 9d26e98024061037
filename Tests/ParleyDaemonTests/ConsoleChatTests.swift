import Foundation
import Logging
import ParleyCore
@testable import ParleyDaemon
import Synchronization
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
        let input = Mutex(lines)
        let output = Mutex("")
        let assembly = try Daemon.assemble(
            configuration, mode: .chat, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            consoleIO: (
                input: { input.withLock { $0.isEmpty ? nil : $0.removeFirst() } },
                output: { text in output.withLock { $0 += text } }
            ))
        try await assembly.run()
        return output.withLock { $0 }
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

    @Test func theConsoleUserIsTheLocalAccount() {
        let connector = ConsoleConnector(network: "console", user: "ops", botName: "parley")
        let message = connector.message("parley, hi", number: 1)
        #expect(message.sender.account == "ops")
        #expect(message.addressing == .addressed(body: "hi"))
    }
}
