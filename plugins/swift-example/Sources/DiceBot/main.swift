// dice-bot: Parley with one more plugin, in Swift. `dice-bot CONFIG` chats on the console (one
// line of input per message, until input ends), as `parley chat --config CONFIG` would, with
// !roll added.
import Foundation
import Logging
import ParleyDaemon

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: dice-bot CONFIG\n".utf8))
    exit(64)
}
let configuration = try ConfigLoader.load(path: CommandLine.arguments[1])
var lines: [String] = []
while let line = readLine() { lines.append(line) }
let logger = Logger(label: "dice-bot", factory: { _ in SwiftLogNoOpLogHandler() })
print(try await Daemon.chat(configuration, input: lines, logger: logger, plugins: [DicePlugin()]), terminator: "")
