/// `!ignore <nick glob | account:NAME>`: stop listening to someone (admins only).
struct IgnoreCommand: Command {
    let name = "ignore"
    let summary = "stop listening to someone"
    let usage = "ignore <nick glob | account:NAME>"
    let requiresAdmin = true

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let entry = invocation.arguments
        guard !entry.isEmpty, !entry.contains(" ") else { return "Usage: \(invocation.bot.commandPrefix)\(usage)" }
        return await invocation.bot.ignore(entry) ? "Ignoring \(entry)." : "\(entry) was already ignored."
    }
}

/// `!unignore <entry>`: listen to someone again (admins only).
struct UnignoreCommand: Command {
    let name = "unignore"
    let summary = "listen to someone again"
    let usage = "unignore <nick glob | account:NAME>"
    let requiresAdmin = true

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let entry = invocation.arguments
        guard !entry.isEmpty else { return "Usage: \(invocation.bot.commandPrefix)\(usage)" }
        return await invocation.bot.unignore(entry) ? "No longer ignoring \(entry)." : "\(entry) was not ignored."
    }
}

/// `!pause` and `!resume`: silence the bot in this channel, or let it speak again (admins and
/// the channel's operators). Commands keep working while paused.
struct PauseCommand: Command {
    let name: String
    let summary: String
    let requiresAdmin = true
    let operatorsMay = true
    private let pauses: Bool

    init(pauses: Bool) {
        self.pauses = pauses
        self.name = pauses ? "pause" : "resume"
        self.summary = pauses ? "stop answering in this channel" : "answer again in this channel"
    }

    func run(_ invocation: CommandInvocation) async throws -> String? {
        await invocation.bot.setPaused(pauses, channel: invocation.message.channel)
        return pauses ? "Paused: I won't answer here until an admin says \(invocation.bot.commandPrefix)resume." : "Resumed."
    }
}

/// The commands every bot has.
enum BuiltinCommands {
    static let all: [any Command] = [
        HelpCommand(), PingCommand(), StatusCommand(), ResetCommand(), ForgetCommand(), MemoryCommand(), RememberCommand(),
        IgnoreCommand(), UnignoreCommand(), PauseCommand(pauses: true), PauseCommand(pauses: false),
        ConfigCommand(), ReloadCommand(), HumanCommand(),
    ] + TicketCommand.Action.allCases.map { TicketCommand(action: $0) }
}
