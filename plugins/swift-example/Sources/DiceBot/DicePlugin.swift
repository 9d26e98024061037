import ParleyCore

/// `!roll NdM`: dice, rolled in the bot's own process.
struct DicePlugin: Plugin {
    let name = "dice"
    var commands: [any Command] { [RollCommand()] }
}

struct RollCommand: Command {
    let name = "roll"
    let summary = "roll dice: !roll 2d6"
    let usage = "roll NdM"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let parts = invocation.arguments.lowercased().split(separator: "d", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0]), let sides = Int(parts[1]),
              (1...100).contains(count), (1...1000).contains(sides) else {
            return "Usage: \(invocation.bot.commandPrefix)\(usage), with N up to 100 and M up to 1000"
        }
        let rolls = (0..<count).map { _ in Int.random(in: 1...sides) }
        return "\(rolls.map(String.init).joined(separator: " + ")) = \(rolls.reduce(0, +))"
    }
}
