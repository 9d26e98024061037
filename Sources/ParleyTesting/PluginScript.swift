import Foundation
import ParleyCore

/// A scripted conversation for testing a plugin in a whole bot (`parley plugins test`): what
/// people say, and what the bot must say back.
///
/// ```
/// # a comment
/// > !fact add parley a chat bot        alice says this in #test
/// < OK, I'll remember parley.          the bot's next message, exactly
/// > [bob] ?parley                      bob says this
/// > [bob #other] ?parley               bob says this in #other
/// <~ a chat bot                        the bot's next message contains this
/// ```
public struct PluginScript: Sendable {
    public enum Step: Sendable, Hashable {
        case say(text: String, sender: String, channel: String)
        case expect(String, exactly: Bool)
    }

    /// A step and its line in the script.
    public var steps: [(line: Int, step: Step)]

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(parsing text: String, file: String) throws {
        steps = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("<~") {
                steps.append((index + 1, .expect(line.dropFirst(2).trimmingCharacters(in: .whitespaces), exactly: false)))
            } else if line.hasPrefix("<") {
                steps.append((index + 1, .expect(line.dropFirst(1).trimmingCharacters(in: .whitespaces), exactly: true)))
            } else if line.hasPrefix(">") {
                var rest = line.dropFirst(1).trimmingCharacters(in: .whitespaces)
                var sender = "alice", channel = BotTester.channel
                if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    let who = rest[rest.index(after: rest.startIndex)..<close].split(separator: " ").map(String.init)
                    sender = who.first ?? sender
                    channel = who.dropFirst().first ?? channel
                    rest = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces)
                }
                steps.append((index + 1, .say(text: rest, sender: sender, channel: channel)))
            } else {
                throw Failure(description: "\(file):\(index + 1): a line starts with > (someone says), < or <~ (the bot answers), or #")
            }
        }
    }

    /// Plays the script against `tester`; throws at the first answer that differs or does not
    /// come within `timeout`, naming the line. Returns how many answers were checked.
    @discardableResult
    public func run(on tester: BotTester, file: String, timeout: Duration = .seconds(10)) async throws -> Int {
        var heard = tester.connector.sent.count
        var checked = 0
        for (line, step) in steps {
            switch step {
            case .say(let text, let sender, let channel):
                tester.say(text, from: Sender(id: UserID(sender), displayName: sender, account: sender), in: channel)
            case .expect(let expected, let exactly):
                let said: [OutboundMessage]
                do {
                    said = try await tester.sentMessages(atLeast: heard + 1, timeout: timeout)
                } catch {
                    throw Failure(description: "\(file):\(line): the bot said nothing within \(timeout); expected \"\(expected)\"")
                }
                let text = said[heard].text
                heard += 1
                guard exactly ? text == expected : text.contains(expected) else {
                    throw Failure(description: "\(file):\(line): expected \(exactly ? "" : "something containing ")\"\(expected)\", the bot said \"\(text)\"")
                }
                checked += 1
            }
        }
        return checked
    }
}
