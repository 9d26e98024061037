import ParleyCore
public import Logging

/// Log lines a test can look at.
public final class CapturedLog: Sendable {
    public init() {}

    let lines = Locked<[String]>([])

    /// Every line so far.
    public var snapshot: [String] { lines.withLock { $0 } }

    public var logger: Logger {
        Logger(label: "parley.test") { _ in CapturingHandler(log: self) }
    }

    public func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let extra = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            log.lines.withLock { $0.append("\(event.level) \(event.message) \(extra)") }
        }
    }
}
