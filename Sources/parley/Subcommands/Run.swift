import ArgumentParser
import ParleyDaemon

/// `parley run`: the daemon, on every configured network, until SIGTERM or SIGINT.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the bot on every configured network.")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        try await options.run(.daemon)
    }
}
