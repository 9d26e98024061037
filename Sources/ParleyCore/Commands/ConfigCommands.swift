/// `!config show|set|unset KEY [VALUE]`: this channel's settings, changed from chat over the
/// config and kept across restarts. Admins may; so may the channel's operators (identified to
/// services on IRC; power level 50 or more on Matrix) where the channel's
/// `channel_ops_may_configure` is on.
struct ConfigCommand: Command {
    let name = "config"
    let summary = "show or change this channel's settings"
    let usage = "config show | set KEY VALUE | unset KEY"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let bot = invocation.bot
        let message = invocation.message
        guard await bot.mayConfigure(message) else {
            return await bot.sentence(.configureOnly(command: bot.commandPrefix + name), for: message)
        }
        let words = invocation.arguments.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
        switch (words.first?.lowercased(), words.count) {
        case ("show"?, _), (nil, _):
            let settings = await bot.channelSettings(of: message)
            return settings.map { "\($0.key.rawValue)=\($0.value.prefix(80))\($0.isOverride ? " (set here)" : "")" }
                .joined(separator: "; ")
        case ("set"?, 3):
            let key = try Self.key(words[1])
            try await bot.setChannelSetting(key, to: words[2], for: message)
            return "\(key.rawValue) is now \(words[2].prefix(80)) here."
        case ("unset"?, 2):
            let key = try Self.key(words[1])
            return await bot.unsetChannelSetting(key, for: message)
                ? "\(key.rawValue) is back to the config's value here." : "\(key.rawValue) was not set here."
        default:
            return "Usage: \(bot.commandPrefix)\(usage)"
        }
    }

    static func key(_ word: String) throws(ChannelSettingError) -> ChannelSetting {
        guard let key = ChannelSetting(rawValue: word.lowercased()) else { throw .unknownKey(String(word.prefix(40))) }
        return key
    }
}

/// `!reload`: reads the config file again and applies it without dropping a connection (admins
/// only). An invalid config is refused and the running one kept.
struct ReloadCommand: Command {
    let name = "reload"
    let summary = "read the config again"
    let requiresAdmin = true

    func run(_ invocation: CommandInvocation) async throws -> String? {
        await invocation.bot.reloadConfiguration()
    }
}
