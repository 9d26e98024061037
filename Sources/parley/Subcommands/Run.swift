import ArgumentParser
import ParleyDaemon

/// `parley run`: the daemon, on every configured network, until SIGTERM or SIGINT.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the bot on every configured network.")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        let configuration = try reportingInputErrors { try options.loadConfiguration() }
        let logger = options.bootstrapLogging(configuration.logging)
        let assembly = try reportingInputErrors { try Daemon.assemble(configuration, mode: .daemon, logger: logger) }
        try await assembly.run()
    }
}
