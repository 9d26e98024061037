public import ArgumentParser
import Foundation
public import Logging
public import ParleyDaemon
import ParleyInference

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

    /// Loads the config, sets up logging, builds Parley and runs it until it stops.
    func run(_ mode: Daemon.Mode) async throws {
        let configuration = try reportingInputErrors { try loadConfiguration() }
        let logger = bootstrapLogging(configuration.logging)
        // A config file can be read again on SIGHUP or `!reload`; the embedded one cannot change.
        var source: (@Sendable () throws -> ParleyConfiguration)?
        if let path = config {
            source = { try ConfigLoader.load(path: path) }
        }
        let assembly = try reportingInputErrors {
            try Daemon.assemble(configuration, mode: mode, logger: logger, source: source)
        }
        try await assembly.run()
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

/// Runs a subcommand body, turning an error in what the user gave (a config file, a model file)
/// into its one-line message and a sysexits code, 78 (EX_CONFIG) or 65 (EX_DATAERR), instead of
/// a stack of Swift error text.
func reportingInputErrors<T>(_ body: () throws -> T) throws -> T {
    let code: Int32
    let message: String
    do {
        return try body()
    } catch let error as ConfigError {
        (code, message) = (78, "\(error)")
    } catch let error as GGUFError {
        (code, message) = (65, "\(error)")
    } catch let error as ModelError {
        (code, message) = (65, "\(error)")
    }
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    throw ExitCode(code)
}
