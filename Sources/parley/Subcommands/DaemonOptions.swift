public import ArgumentParser
import Foundation
public import Logging
public import ParleyDaemon

/// Options shared by the commands that start Parley.
struct DaemonOptions: ParsableArguments {
    @Option(name: .long, help: "The config file (default: the embedded config/parley.yaml).")
    var config: String?

    @Option(name: .customLong("log-format"), help: "text or json (default: the config's logging.format).")
    var logFormat: LoggingConfiguration.Format?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level?

    /// The config, from the file or the embedded default.
    func loadConfiguration() throws -> ParleyConfiguration {
        if let config { return try ConfigLoader.load(path: config) }
        return try ConfigLoader.parse(EmbeddedConfiguration.text, file: EmbeddedConfiguration.name)
    }

    /// Sets up swift-log as the config and the flags say; returns Parley's logger.
    func bootstrapLogging(_ logging: LoggingConfiguration) -> Logger {
        let format = logFormat ?? logging.format
        let level = logLevel ?? logging.level
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
        return Logger(label: "parley")
    }
}

extension LoggingConfiguration.Format: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Runs a subcommand body, turning a config error into its message and exit code 78 (EX_CONFIG)
/// instead of a stack of Swift error text.
func reportingConfigErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ConfigError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(78)
    }
}
