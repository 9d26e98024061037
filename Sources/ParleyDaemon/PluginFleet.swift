import ParleyCore
import ParleyPlugins
import ServiceLifecycle

/// The plugin programs that run, each kept running (and restarted) by its host until it is
/// stopped: by a reload that removed or changed it, or by shutdown. One owner for their tasks,
/// so that a reload can start and stop them alone.
actor PluginFleet {
    private var hosts: [PluginName: PluginHost] = [:]
    private var tasks: [PluginName: Task<Void, Never>] = [:]
    private var running = false
    private var holder: AsyncStream<Void>.Continuation?
    /// Where plugins' `send` goes (the bot's `announce`).
    private let outlet: @Sendable (String, ChannelKey) async -> Bool

    init(_ hosts: [PluginHost], outlet: @escaping @Sendable (String, ChannelKey) async -> Bool) {
        for host in hosts { self.hosts[host.name] = host }
        self.outlet = outlet
    }

    /// Starts every host, and those added later at once, until the task is cancelled; then stops
    /// them all.
    func run() async {
        running = true
        for host in hosts.values { launch(host) }
        // Held open until cancellation ends the iteration.
        let (forever, holder) = AsyncStream.makeStream(of: Void.self)
        self.holder = holder
        for await _ in forever {}
        running = false
        await stop(Set(tasks.keys))
    }

    /// Adds `host` (replacing one of the same name, which is stopped first) and starts it if the
    /// fleet runs.
    func start(_ host: PluginHost) async {
        await stop([host.name])
        hosts[host.name] = host
        if running { launch(host) }
    }

    /// Stops the plugins named and waits until each has.
    func stop(_ names: Set<PluginName>) async {
        let stopping = names.compactMap { tasks.removeValue(forKey: $0) }
        for name in names { hosts[name] = nil }
        for task in stopping { task.cancel() }
        for task in stopping { await task.value }
    }

    private func launch(_ host: PluginHost) {
        let outlet = self.outlet
        tasks[host.name] = Task {
            await host.connect(outlet: outlet)
            await host.runUntilCancelled()
        }
    }
}

/// The fleet as a service: listed before the bot, so it stops after the bot has drained.
struct PluginFleetService: Service {
    let fleet: PluginFleet

    func run() async throws {
        await cancelWhenGracefulShutdown { await fleet.run() }
    }
}
