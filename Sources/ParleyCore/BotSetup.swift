/// What a reload replaces while every network stays connected: the admins, the channel
/// policies, the backends, the moderation hooks, the plugins, and the set of networks (one added
/// is started, one gone is stopped, one named in `restarted` is stopped and started again;
/// the others keep their connections).
public struct BotSetup: Sendable {
    public var roles: RoleList
    public var escalationChannel: ChannelKey?
    public var policies: ChannelPolicies
    public var backends: [any GenerationBackend]
    /// The config's ignore list (what admins changed in chat is applied over it).
    public var ignore: [String]
    public var inboundHooks: [any ModerationHook]
    public var outboundHooks: [any ModerationHook]
    public var sanitizer: OutputSanitizer
    public var plugins: [any Plugin]
    public var connectors: [any Connector]
    /// Networks whose own settings changed: their connection is made again with the new ones.
    public var restarted: Set<NetworkID>

    public init(
        roles: RoleList, escalationChannel: ChannelKey?, policies: ChannelPolicies,
        backends: [any GenerationBackend], ignore: [String], inboundHooks: [any ModerationHook],
        outboundHooks: [any ModerationHook], sanitizer: OutputSanitizer, plugins: [any Plugin],
        connectors: [any Connector], restarted: Set<NetworkID> = []
    ) {
        self.roles = roles
        self.escalationChannel = escalationChannel
        self.policies = policies
        self.backends = backends
        self.ignore = ignore
        self.inboundHooks = inboundHooks
        self.outboundHooks = outboundHooks
        self.sanitizer = sanitizer
        self.plugins = plugins
        self.connectors = connectors
        self.restarted = restarted
    }
}

/// A `BotSetup` wired for use, with the settings admins gave in chat laid over its policies:
/// plugins narrowed to the channels that enable them, the moderation pipelines, the commands.
struct InstalledSetup: Sendable {
    let policies: ChannelPolicies
    let backends: [BackendName: any GenerationBackend]
    let plugins: [any Plugin]
    let inbound: ModerationPipeline
    let outbound: ModerationPipeline
    let commands: [any Command]
    let promptContext: PromptContext

    init(_ setup: BotSetup, ignoreList: IgnoreList, overrides: [ChannelKey: ChannelSettings]) {
        var policies = setup.policies
        policies.overrides = overrides
        self.policies = policies
        backends = Dictionary(setup.backends.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let plugins = setup.plugins.map { ChannelScopedPlugin(plugin: $0, policies: policies) }
        self.plugins = plugins
        inbound = ModerationPipeline(hooks: [ignoreList] + setup.inboundHooks + plugins.flatMap(\.inboundHooks))
        outbound = ModerationPipeline(hooks: setup.outboundHooks + plugins.flatMap(\.outboundHooks) + [setup.sanitizer])
        commands = BuiltinCommands.all + plugins.flatMap(\.commands)
        promptContext = PromptContext(providers: plugins.flatMap(\.contextProviders))
    }
}
