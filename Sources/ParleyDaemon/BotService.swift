import ParleyCore
import ParleyPlugins
import ParleyStore
import ServiceLifecycle

/// The bot as a service: it runs until the group shuts down gracefully (SIGTERM, SIGINT), then
/// drains (replies in progress finish within `shutdown.drain_s`, connectors send what they hold,
/// IRC says QUIT, Matrix stops syncing) or, in `parley chat`, until the console input ends and
/// every reply is out.
struct BotService: Service {
    let bot: Bot
    /// Started by their own services; the bot waits (up to `pluginStartTime`) until each is ready
    /// or has failed, so that the first message does not find its plugin still starting.
    var plugins: [PluginHost] = []
    var pluginStartTime: Duration = .seconds(10)
    /// Run first: what the bot needs from its assembly (the reloader).
    var connect: @Sendable () async -> Void = {}

    func run() async throws {
        await connect()
        if !plugins.isEmpty {
            await withTaskGroup(of: Bool.self) { group in
                for host in plugins {
                    group.addTask {
                        _ = try? await host.waitUntilReady()
                        return false
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: pluginStartTime)
                    return true
                }
                var starting = plugins.count
                while starting > 0, let timeUp = await group.next(), !timeUp { starting -= 1 }
                group.cancelAll()
            }
        }
        try await withGracefulShutdownHandler {
            try await bot.run()
        } onGracefulShutdown: {
            bot.shutDown()
        }
    }
}

/// Applies the storage retention policy at start and then every `interval`.
struct RetentionService: Service {
    let store: SQLiteStore
    let interval: Duration
    /// A channel's own retention (`retention_days`), as the config says now.
    let channelMaxAge: @Sendable (ChannelKey) async -> Duration?

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await store.applyRetention(channelMaxAge: channelMaxAge)
                do {
                    try await Task.sleep(for: interval)
                } catch is CancellationError {
                    return
                }
            }
        }
    }
}
