import ParleyCore
import ParleyStore
import ServiceLifecycle

/// The bot as a service: it runs until the group shuts down gracefully (SIGTERM, SIGINT), then
/// drains (replies in progress finish within `shutdown.drain_s`, connectors send what they hold,
/// IRC says QUIT, Matrix stops syncing) or, in `parley chat`, until the console input ends and
/// every reply is out.
struct BotService: Service {
    let bot: Bot

    func run() async throws {
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

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await store.applyRetention()
                do {
                    try await Task.sleep(for: interval)
                } catch is CancellationError {
                    return
                }
            }
        }
    }
}
