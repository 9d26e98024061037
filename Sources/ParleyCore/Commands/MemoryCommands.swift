/// `!memory`: the summary of this conversation; `!memory me`: the sender's notes.
struct MemoryCommand: Command {
    let name = "memory"
    let summary = "show what I remember of this conversation, or your notes (me)"
    let usage = "memory [me]"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let bot = invocation.bot
        let message = invocation.message
        if invocation.arguments.lowercased() == "me" {
            guard let notes = try await bot.notes(for: message) else { return "I keep no notes in this channel." }
            guard !notes.isEmpty else { return "I have no notes about you. Add one with \(bot.commandPrefix)remember TEXT." }
            return "Your notes: " + notes.map(\.text).joined(separator: " · ")
        }
        guard let summary = await bot.summary(for: message) else {
            return "Nothing summarised yet: this conversation still fits my context."
        }
        return "What I remember of earlier here: " + summary.text
    }
}

/// `!remember TEXT`: a note about the sender, given to the model in their conversations on this
/// network; where the channel keeps notes.
struct RememberCommand: Command {
    let name = "remember"
    let summary = "keep a note about you for later conversations"
    let usage = "remember TEXT"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let prefix = invocation.bot.commandPrefix
        guard !invocation.arguments.isEmpty else { return "Usage: \(prefix)remember TEXT" }
        guard try await invocation.bot.remember(invocation.arguments, for: invocation.message) else {
            return "I keep no notes in this channel."
        }
        return "Noted. \(prefix)memory me shows your notes, \(prefix)forget TEXT removes one."
    }
}
