import ParleyCore
import ParleyStore
import ServiceLifecycle

/// The bot as a service: it runs until the group shuts down gracefully (SIGTERM, SIGINT) or,
/// in `parley chat`, until the console input ends and every reply is out.
struct BotService: Service {
    let bot: Bot

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await bot.run()
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
