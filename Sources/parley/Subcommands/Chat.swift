import ArgumentParser
import ParleyDaemon

/// `parley chat`: talk to the bot on the console; ends when standard input does.
struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Talk to the bot in the console channel (standard input and output).")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        try await options.run(.chat)
    }
}
