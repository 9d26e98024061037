import ArgumentParser
import Foundation
import ParleyCore
import ParleyDaemon

/// `parley backends …`: routes to `check`.
struct BackendsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends", abstract: "Work with the configured generation backends.", subcommands: [BackendsCheck.self])
}

/// `parley backends check`: asks every configured backend for a one-token reply and says which
/// answered, and how fast; exit code 1 when any did not.
struct BackendsCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Call each backend with a one-token request.")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        let configuration = try reportingInputErrors { try options.loadConfiguration() }
        let logger = options.bootstrapLogging(configuration.logging)
        let backends = try reportingInputErrors { try Daemon.makeBackends(configuration, logger: logger) }
        var failed = 0
        for backend in backends {
            let request = GenerationRequest(
                messages: [ChatMessage(role: .system, content: "Reply with one word."), ChatMessage(role: .user, content: "ping")],
                parameters: GenerationParameters(maxTokens: 1), conversation: "parley-backends-check")
            let started = ContinuousClock.now
            do {
                var text = ""
                for try await chunk in backend.stream(request) { text += chunk.text }
                print("\(backend.name): ok in \(String(format: "%.2f", (ContinuousClock.now - started).inSeconds)) s (\(text.isEmpty ? "an empty reply" : "\"\(text.prefix(20))\""))")
            } catch {
                failed += 1
                print("\(backend.name): FAILED: \(error)")
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
