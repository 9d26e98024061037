public import ParleyCore

/// The operator's view of the plugins, as commands: `!plugins` lists them and their state;
/// `!plugin reload NAME` and `!plugin disable NAME` (admins only) start one afresh or stop it.
public struct PluginAdministration: Plugin {
    public let hosts: [PluginHost]

    public init(hosts: [PluginHost]) {
        self.hosts = hosts
    }

    public var name: String { "plugin-administration" }
    public var commands: [any Command] { [PluginListCommand(hosts: hosts), PluginControlCommand(hosts: hosts)] }
}

struct PluginListCommand: Command {
    let hosts: [PluginHost]
    let name = "plugins"
    let summary = "the plugins and whether they are working"

    func run(_ invocation: CommandInvocation) async throws -> String? {
        guard !hosts.isEmpty else { return "No plugins are enabled." }
        var lines: [String] = []
        for host in hosts {
            let manifest = host.configuration.manifest
            let commands = manifest.commands.map { invocation.bot.commandPrefix + $0.name }.joined(separator: " ")
            lines.append("\(manifest.name) \(manifest.version): \(await host.state)\(commands.isEmpty ? "" : " (\(commands))")")
        }
        return lines.joined(separator: "; ")
    }
}

struct PluginControlCommand: Command {
    let hosts: [PluginHost]
    let name = "plugin"
    let summary = "start a plugin afresh, or stop it"
    let usage = "plugin reload|disable NAME"
    let requiresAdmin = true

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let words = invocation.arguments.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count == 2, ["reload", "disable"].contains(words[0]) else { return "Usage: \(invocation.bot.commandPrefix)\(usage)" }
        guard let host = hosts.first(where: { $0.name.rawValue == words[1] }) else {
            return "No plugin \(words[1]) is enabled; \(invocation.bot.commandPrefix)plugins lists them."
        }
        let who = invocation.message.sender.account ?? invocation.message.sender.displayName
        if words[0] == "reload" {
            await host.reload()
            return "Starting \(host.name) afresh."
        }
        await host.disable(reason: "disabled by \(who)")
        return "\(host.name) is disabled until \(invocation.bot.commandPrefix)plugin reload \(host.name)."
    }
}
