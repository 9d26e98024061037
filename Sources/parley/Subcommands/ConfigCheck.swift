import ArgumentParser
import Foundation
import ParleyDaemon

/// `parley config …`: routes to `check`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Work with config files.", subcommands: [ConfigCheck.self])
}

/// `parley config check FILE`: validates a config and says what it configures, or exactly what
/// is wrong (file, line, key path, what would be valid); exit code 78 when it is wrong.
struct ConfigCheck: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a config file.")

    @Argument(help: "The config file to check.")
    var file: String

    func run() throws {
        let configuration = try reportingInputErrors { try ConfigLoader.load(path: file) }
        print(ConfigSummary(configuration).text(file: file))
    }
}
