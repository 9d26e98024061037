import FlyingFox
import FlyingSocks
import Foundation
import Logging
public import ParleyCore
import ParleyPlugins
import Prometheus
import ServiceLifecycle

/// The admin HTTP listener (`admin_http:`): `/health` (the process lives), `/ready` (every network
/// up, every backend reachable; 503 otherwise), `/metrics` (Prometheus) and `/status` (what
/// `parley status` prints). Every route but `/health` asks for the bearer token when one is set.
///
/// FlyingFox rather than Hummingbird: four GET routes on loopback need no SwiftNIO, and
/// FlyingFox brings no other package (Hummingbird's tree costs minutes of every CI build).
struct RoleListener: Service {
    let configuration: AdminHTTPConfiguration
    let bot: Bot
    let plugins: @Sendable () async -> [PluginHost]
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    /// How long a backend's reachability is taken as known.
    var probeInterval: Duration = .seconds(10)

    func run() async throws {
        let address: any SocketAddress = configuration.host.contains(":")
            ? try .inet6(ip6: configuration.host, port: configuration.port)
            : try .inet(ip4: configuration.host, port: configuration.port)
        let server = HTTPServer(address: address, timeout: 10, logger: ListenerLog(logger: logger))
        let probes = BackendProbes(interval: probeInterval)
        let routes = AdminRoutes(bot: bot, plugins: plugins, registry: registry, probes: probes, token: configuration.token)
        await server.appendRoute("GET /health") { _ in await routes.health() }
        await server.appendRoute("GET /ready") { request in await routes.guarded(request) { await routes.ready() } }
        await server.appendRoute("GET /metrics") { request in await routes.guarded(request) { routes.metrics() } }
        await server.appendRoute("GET /status") { request in await routes.guarded(request) { await routes.status() } }
        let listen = "\(configuration.host):\(configuration.port)"
        if !configuration.isLoopback {
            logger.warning("the admin listener is reachable off this machine; keep its token secret", metadata: ["admin.listen": "\(listen)"])
        }
        let logger = self.logger
        let token = configuration.token == nil ? "none" : "required"
        let stopping = Locked(false)
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await server.run() }
                    group.addTask {
                        try await server.waitUntilListening()
                        logger.notice("admin listener up", metadata: ["admin.listen": "\(listen)", "admin.token": "\(token)"])
                    }
                    try await group.waitForAll()
                }
            } onGracefulShutdown: {
                stopping.withLock { $0 = true }
                Task { await server.stop(timeout: 1) }
            }
        } catch {
            if stopping.withLock({ $0 }) || error is CancellationError { return }
            throw RoleListenerError.cannotListen(listen, reason: "\(error)")
        }
    }
}

/// Why the admin listener stopped the daemon.
enum RoleListenerError: Error, CustomStringConvertible {
    case cannotListen(String, reason: String)

    var description: String {
        switch self {
        case .cannotListen(let address, let reason):
            "the admin listener cannot listen on \(address) (\(reason)); free the port or change admin_http.listen"
        }
    }
}

/// What each route answers.
struct AdminRoutes: Sendable {
    let bot: Bot
    let plugins: @Sendable () async -> [PluginHost]
    let registry: PrometheusCollectorRegistry
    let probes: BackendProbes
    let token: Secret?

    func guarded(_ request: HTTPRequest, _ body: () async -> HTTPResponse) async -> HTTPResponse {
        guard let token else { return await body() }
        let given = request.headers[.authorization] ?? ""
        guard Self.constantTimeEqual(Array(given.utf8), Array("Bearer \(token.value)".utf8)) else {
            return Self.json(401, ["error": "a bearer token is required (Authorization: Bearer …)"], headers: [HTTPHeader("WWW-Authenticate"): "Bearer"])
        }
        return await body()
    }

    func health() async -> HTTPResponse {
        let snapshot = await bot.snapshot()
        return Self.json(200, ["status": "ok", "uptime_s": snapshot.uptimeSeconds])
    }

    func ready() async -> HTTPResponse {
        let snapshot = await bot.snapshot()
        var networks: [String: Any] = [:]
        for network in snapshot.networks {
            networks[network.name.rawValue] = ["ready": network.isUp, "state": network.state]
        }
        var backends: [String: Any] = [:]
        var backendsReady = true
        for backend in await bot.currentBackends() {
            let failure = await probes.failure(of: backend)
            backendsReady = backendsReady && failure == nil
            backends[backend.name.rawValue] = failure.map { ["ready": false, "error": $0] } ?? ["ready": true]
        }
        let ready = snapshot.accepting && !snapshot.networks.isEmpty && snapshot.networks.allSatisfy(\.isUp) && backendsReady
        return Self.json(ready ? 200 : 503, ["ready": ready, "accepting": snapshot.accepting, "networks": networks, "backends": backends])
    }

    func metrics() -> HTTPResponse {
        HTTPResponse(
            statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: Data(registry.emitToBuffer()))
    }

    func status() async -> HTTPResponse {
        let snapshot = await bot.snapshot()
        var plugins: [AdminStatus.Plugin] = []
        for host in await self.plugins() {
            plugins.append(AdminStatus.Plugin(name: host.name.rawValue, state: "\(await host.state)"))
        }
        let status = AdminStatus(bot: snapshot, plugins: plugins.sorted { $0.name < $1.name })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(status)) ?? Data("{}".utf8)
        return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: body)
    }

    static func json(_ status: Int, _ object: [String: Any], headers: [HTTPHeader: String] = [:]) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        var all = HTTPHeaders(headers)
        all[.contentType] = "application/json"
        return HTTPResponse(statusCode: HTTPStatusCode(status, phrase: status == 200 ? "OK" : status == 401 ? "Unauthorized" : "Service Unavailable"), headers: all, body: body)
    }

    /// Compares without stopping at the first difference, so that the time taken does not tell
    /// how much of a guessed token was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

/// What `/status` answers and `parley status` reads.
public struct AdminStatus: Sendable, Codable {
    public struct Plugin: Sendable, Codable {
        public var name: String
        public var state: String
    }

    public var bot: BotSnapshot
    public var plugins: [Plugin]
}

/// Each backend's reachability, probed at most once per interval whatever the scrape rate.
actor BackendProbes {
    let interval: Duration
    private var known: [BackendName: (at: ContinuousClock.Instant, failure: String?)] = [:]

    init(interval: Duration) {
        self.interval = interval
    }

    func failure(of backend: any GenerationBackend) async -> String? {
        if let entry = known[backend.name], ContinuousClock.now - entry.at < interval { return entry.failure }
        var failure: String?
        do {
            try await backend.probe()
        } catch {
            failure = "\(error)"
        }
        known[backend.name] = (ContinuousClock.now, failure)
        return failure
    }
}

/// FlyingFox's log lines into Parley's log. Its reports of connections cut by shutdown (a
/// cancellation) are not errors.
struct ListenerLog: FlyingSocks.Logging {
    let logger: Logger

    func logDebug(_ debug: @autoclosure () -> String) { logger.debug("\(debug())") }
    func logInfo(_ info: @autoclosure () -> String) { logger.debug("\(info())") }
    func logWarning(_ warning: @autoclosure () -> String) { log(.warning, warning()) }
    func logError(_ error: @autoclosure () -> String) { log(.error, error()) }
    func logCritical(_ critical: @autoclosure () -> String) { log(.critical, critical()) }

    private func log(_ level: Logger.Level, _ text: String) {
        logger.log(level: text.contains("CancellationError") ? .debug : level, "admin listener: \(text)")
    }
}
