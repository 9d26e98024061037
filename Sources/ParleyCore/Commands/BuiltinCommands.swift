import Foundation

/// `!help [command]`: lists the commands the sender may use, or explains one.
struct HelpCommand: Command {
    let name = "help"
    let summary = "list commands, or explain one"
    let usage = "help [command]"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let bot = invocation.bot
        let prefix = bot.commandPrefix
        let roles = await bot.roles(of: invocation.message.sender, in: invocation.message.channel)
        let visible = await bot.commandList().filter { $0.isAllowed(to: roles) }
        let wanted = invocation.arguments.lowercased().trimmingPrefix(prefix)
        if !wanted.isEmpty {
            guard let command = visible.first(where: { $0.name == wanted || $0.aliases.contains(String(wanted)) })
            else { return await bot.sentence(.noSuchCommand(command: "\(prefix)\(wanted)", help: "\(prefix)help"), for: invocation.message) }
            return "\(prefix)\(command.usage) — \(command.summary)"
        }
        let names = visible.map { "\(prefix)\($0.name)" }.joined(separator: " ")
        return await bot.sentence(.help(commands: names, help: "\(prefix)help"), for: invocation.message)
    }
}

/// `!reset`: clears the context of the conversation the sender is in.
struct ResetCommand: Command {
    let name = "reset"
    let summary = "clear this conversation's context"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        await invocation.bot.resetContext(of: invocation.message)
        return "Context cleared; I've forgotten this conversation."
    }
}

/// `!ping`: answers `pong`.
struct PingCommand: Command {
    let name = "ping"
    let summary = "check that the bot is alive"

    func run(_ invocation: CommandInvocation) async throws -> String? { "pong" }
}

/// `!status`: the backend, the context size, the queue, the uptime.
struct StatusCommand: Command {
    let name = "status"
    let summary = "show the backend, context and queue of this conversation"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let status = await invocation.bot.status(of: invocation.message)
        let uptime = status.uptime.components.seconds
        var parts = [
            "backend \(status.backend)",
            "\(status.contextEntries) entries in context",
            status.generating ? "answering, \(status.queued) waiting" : "idle",
            "\(status.sessions) conversations",
            "\(status.repliesSent) replies sent",
            "up \(uptime / 3600)h\((uptime % 3600) / 60)m",
        ]
        if status.paused { parts.insert("paused", at: 0) }
        if !status.overrides.isEmpty {
            parts.append("set here: " + status.overrides.keys.map(\.rawValue).sorted().joined(separator: ", "))
        }
        let networks = status.networks.map { "\($0.network) \($0.state)" }.joined(separator: "; ")
        return parts.joined(separator: ", ") + (status.networks.count > 1 ? ". Networks: \(networks)" : "")
    }
}

/// `!forget me`: deletes everything the sender said, and the bot's answers to them, from
/// every context and from storage. `!forget TEXT`: removes the sender's notes containing TEXT.
struct ForgetCommand: Command {
    let name = "forget"
    let aliases = ["forgetme"]
    let summary = "delete what you said (and my answers to you) from my memory and storage; or one of your notes"
    let usage = "forget me | forget TEXT"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let prefix = invocation.bot.commandPrefix
        let calledAsForgetMe = invocation.message.body.hasPrefix("\(prefix)forgetme")
        guard calledAsForgetMe || invocation.arguments.lowercased() == "me" else {
            guard !invocation.arguments.isEmpty,
                  let removed = try await invocation.bot.forgetNotes(containing: invocation.arguments, for: invocation.message)
            else { return "Usage: \(prefix)forget me" }
            return removed == 0 ? "None of your notes contains that." : "Removed \(removed) note\(removed == 1 ? "" : "s")."
        }
        let message = invocation.message
        guard message.sender.account != nil || invocation.bot.forgetsByNick else {
            return await invocation.bot.sentence(.forgetNeedsAccount(command: "\(prefix)forget me"), for: message)
        }
        let removed = try await invocation.bot.forget(message.sender.id, on: message.channel.network)
        return "Done: I deleted \(removed) message\(removed == 1 ? "" : "s") concerning you."
    }
}
