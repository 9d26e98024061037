public import ParleyCore
import Foundation

/// The console as a network: each line of standard input is a message from the local user in
/// the channel `console`, or in channel `#name` when the line starts with `#name ` (so that one
/// terminal can hold several conversations); replies print to standard output as they stream,
/// those of another channel than `console` tagged `[#name]`. Replies streaming at once in several
/// channels print as they come, a tagged line each time the channel changes.
///
/// The local user is authenticated by the operating system (they run the process), so their
/// account is their user name. Standard input is read on a thread of its own, never on the
/// Swift cooperative pool.
public final class ConsoleConnector: Connector {
    public let network: NetworkID
    public let capabilities = ConnectorCapabilities(streaming: .fragments)
    private let user: String
    private let botName: String
    private let input: @Sendable () -> String?
    private let output: @Sendable (String) -> Void
    /// The channel whose reply the last line printed is part of, while that line is open.
    private let openLine = Locked<String?>(nil)

    public static let channel = "console"

    /// - Parameters:
    ///   - input: reads one line, nil at end of input; standard input by default.
    ///   - output: writes text; standard output by default.
    public init(
        network: NetworkID,
        user: String,
        botName: String,
        input: @escaping @Sendable () -> String? = { readLine(strippingNewline: true) },
        output: @escaping @Sendable (String) -> Void = ConsoleConnector.writeToStandardOutput
    ) {
        self.network = network
        self.user = user
        self.botName = botName
        self.input = input
        self.output = output
    }

    public func run(events: ConnectorEvents) async throws {
        events.emit(.state(network, .up))
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let input = self.input
        let reader = Thread {
            while let line = input() {
                continuation.yield(line)
            }
            continuation.finish()
        }
        reader.name = "parley.console.stdin"
        reader.start()
        var number = 0
        for await line in lines {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            number += 1
            events.emit(.message(message(line, number: number)))
        }
        events.emit(.inputEnded(network))
    }

    func message(_ line: String, number: Int) -> InboundMessage {
        let sender = Sender(id: UserID(user), displayName: user, account: user)
        var channel = Self.channel
        var text = line
        if line.hasPrefix("#"), let space = line.firstIndex(of: " "), line.index(after: line.startIndex) < space {
            channel = String(line[..<space])
            text = String(line[line.index(after: space)...])
        }
        return InboundMessage(
            id: MessageID("console-\(ProcessInfo.processInfo.processIdentifier)-\(number)"),
            channel: ChannelKey(network: network, channel: channel),
            sender: sender,
            text: text,
            addressing: Addressing.detect(in: text, names: [botName]))
    }

    public func send(_ message: OutboundMessage) async throws {
        let channel = message.channel.channel
        let prefix = (channel == Self.channel ? "" : "[\(channel)] ") + "<\(botName)> "
        let text = message.text
        let rendered: String = openLine.withLock { open in
            // Another channel's reply holds the line: end it there.
            let breakLine = open != nil && open != channel ? "\n" : ""
            switch message.part {
            case .complete:
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                defer { open = nil }
                return (open != nil ? "\n" : "") + lines.map { prefix + $0 }.joined(separator: "\n") + "\n"
            case .fragment:
                let continued = text.replacingOccurrences(of: "\n", with: "\n" + prefix)
                defer { open = channel }
                return open == channel ? continued : breakLine + prefix + continued
            case .end:
                defer { if open == channel || !text.isEmpty { open = nil } }
                if open == channel { return text + "\n" }
                return text.isEmpty ? "" : breakLine + prefix + text + "\n"
            case .draft:
                // The console streams fragments and never edits; a draft is not shown.
                return ""
            }
        }
        output(rendered)
    }

    public func perform(_ action: ModerationAction, in channel: ChannelKey) async throws {
        output("* \(botName) would \(action.kind.rawValue) \(action.target.displayName): \(action.reason)\n")
    }

    public static let writeToStandardOutput: @Sendable (String) -> Void = { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
