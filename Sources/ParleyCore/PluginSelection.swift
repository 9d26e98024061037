/// Which plugins work in a channel: a channel rule's `plugins:`.
public enum PluginSelection: Sendable, Hashable {
    case all
    /// These and no others.
    case only(Set<String>)
    /// All but these.
    case except(Set<String>)

    public func allows(_ plugin: String) -> Bool {
        switch self {
        case .all: true
        case .only(let names): names.contains(plugin)
        case .except(let names): !names.contains(plugin)
        }
    }
}

/// A plugin as one channel sees it: its commands, hooks and context providers do nothing where
/// the channel's policy leaves the plugin out (its hooks allow, its providers add nothing, its
/// commands say they are off here).
struct ChannelScopedPlugin: Plugin {
    let plugin: any Plugin
    let policies: ChannelPolicies

    var name: String { plugin.name }

    var commands: [any Command] { plugin.commands.map { ScopedCommand(command: $0, plugin: name, policies: policies) } }
    var inboundHooks: [any ModerationHook] { plugin.inboundHooks.map { ScopedHook(hook: $0, plugin: name, policies: policies) } }
    var outboundHooks: [any ModerationHook] { plugin.outboundHooks.map { ScopedHook(hook: $0, plugin: name, policies: policies) } }
    var contextProviders: [any ContextProvider] {
        plugin.contextProviders.map { ScopedProvider(provider: $0, plugin: name, policies: policies) }
    }

    func forget(_ user: UserID, on network: NetworkID) async throws -> Int {
        try await plugin.forget(user, on: network)
    }

    func observe(_ event: BotEvent) async {
        let place = event.place
        guard policies.policy(for: place.channel, isDirect: place.isDirect).plugins.allows(name) else { return }
        await plugin.observe(event)
    }

    struct ScopedCommand: Command {
        let command: any Command
        let plugin: String
        let policies: ChannelPolicies

        var name: String { command.name }
        var aliases: [String] { command.aliases }
        var summary: String { command.summary }
        var usage: String { command.usage }
        var requiresAdmin: Bool { command.requiresAdmin }
        var operatorsMay: Bool { command.operatorsMay }

        func run(_ invocation: CommandInvocation) async throws -> String? {
            let message = invocation.message
            guard policies.policy(for: message.channel, isDirect: message.isDirect).plugins.allows(plugin) else {
                return "\(invocation.bot.commandPrefix)\(name) is not enabled here."
            }
            return try await command.run(invocation)
        }
    }

    struct ScopedHook: ModerationHook {
        let hook: any ModerationHook
        let plugin: String
        let policies: ChannelPolicies

        var name: String { hook.name }

        func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict {
            guard policies.policy(for: message.channel, isDirect: message.isDirect).plugins.allows(plugin) else { return .allow }
            return await hook.review(message, review)
        }

        func review(draft: String, _ review: OutboundReview) async -> ModerationVerdict {
            guard policies.policy(for: review.channel, isDirect: review.isDirect).plugins.allows(plugin) else { return .allow }
            return await hook.review(draft: draft, review)
        }
    }

    struct ScopedProvider: ContextProvider {
        let provider: any ContextProvider
        let plugin: String
        let policies: ChannelPolicies

        var name: String { provider.name }

        func context(for message: InboundMessage) async -> String? {
            guard policies.policy(for: message.channel, isDirect: message.isDirect).plugins.allows(plugin) else { return nil }
            return await provider.context(for: message)
        }
    }
}
