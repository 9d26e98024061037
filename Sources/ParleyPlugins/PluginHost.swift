public import Foundation
public import Logging
public import ParleyCore

/// Runs one plugin: starts its program, greets it, sends it calls and matches the answers,
/// serves what it asks of Parley (its store), and restarts it when it crashes, hangs or breaks
/// the protocol, waiting longer after each failure; too many failures in a window disable it.
///
/// Nothing a plugin does can block the caller beyond the call's timeout: a call that is not
/// answered in time fails, and the plugin is taken for hung and restarted.
public actor PluginHost {
    public enum State: Sendable, Hashable, CustomStringConvertible {
        case stopped
        case starting
        case ready
        /// Waiting to start again after a failure.
        case restarting(failures: Int)
        case disabled(reason: String)

        public var description: String {
            switch self {
            case .stopped: "stopped"
            case .starting: "starting"
            case .ready: "ready"
            case .restarting(let failures): "restarting after \(failures) failure\(failures == 1 ? "" : "s")"
            case .disabled(let reason): "disabled: \(reason)"
            }
        }
    }

    public nonisolated let configuration: PluginConfiguration
    public nonisolated var name: PluginName { configuration.manifest.name }
    private let logger: Logger
    private let clock: any MonotonicClock
    private let store: (any PluginStore)?
    private let environment: [String: String]

    public private(set) var state: State = .stopped
    private var process: PluginProcess?
    /// Which start of the program a call or a timer belongs to.
    private var run = 0
    private var nextID = 0
    private var pending: [Int: Pending] = [:]
    /// When each recent failure happened, for the crash window.
    private var failures: [Duration] = []
    private let stateChanged = WaitList()
    /// Where `send` goes: the bot, once it exists (`connect(outlet:)`).
    private var outlet: (@Sendable (String, ChannelKey) async -> Bool)?
    /// The plugin's timers by name; they end with the process that set them.
    private var timers: [String: Task<Void, Never>] = [:]
    static let maxTimers = 1000

    private struct Pending {
        var continuation: CheckedContinuation<JSONValue, any Error>
        var timer: Task<Void, Never>
        var method: String
    }

    public init(
        configuration: PluginConfiguration, logger: Logger, store: (any PluginStore)? = nil,
        clock: any MonotonicClock = SystemMonotonicClock(), environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "plugin"] = "\(configuration.manifest.name)"
        self.logger = logger
        self.store = store
        self.clock = clock
        self.environment = environment
    }

    /// Gives the plugin a way to speak unprompted (`send`, with the permission): the bot's
    /// `announce`.
    public func connect(outlet: @escaping @Sendable (String, ChannelKey) async -> Bool) {
        self.outlet = outlet
    }

    // MARK: - Running

    /// Keeps the plugin running until the task is cancelled; then asks it to stop (its input is
    /// closed) and kills it if it has not ended within a second.
    public func runUntilCancelled() async {
        var consecutive = 0
        while !Task.isCancelled {
            if case .disabled = state {
                let generation = stateChanged.generation
                await stateChanged.wait(since: generation)
                continue
            }
            let started = clock.now()
            let status = await runOnce()
            if Task.isCancelled { break }
            if case .disabled = state { continue }
            ParleyMetric.pluginCrashes.increment([("plugin", name.rawValue)])
            let lasted = clock.now() - started
            // A plugin that ran a good while before it failed starts again from the shortest wait.
            consecutive = lasted > .seconds(60) ? 1 : consecutive + 1
            let now = clock.now()
            failures = failures.filter { now - $0 < configuration.crashWindow } + [now]
            if failures.count >= configuration.maxCrashes {
                let reason = "\(failures.count) failures within \(configuration.crashWindow); last: \(status)"
                set(.disabled(reason: reason))
                logger.error("plugin disabled after repeated failures; fix it and reload it (!plugin reload)", metadata: [
                    "plugin.reason": "\(reason)"])
                continue
            }
            let delay = Backoff(base: .milliseconds(500), cap: .seconds(60)).delay(after: consecutive)
            set(.restarting(failures: consecutive))
            logger.warning("plugin stopped; starting it again", metadata: [
                "plugin.status": "\(status)", "plugin.delay_ms": "\(delay.inMilliseconds)"])
            do { try await clock.sleep(for: delay) } catch { break }
        }
        await stop()
    }

    /// Starts the plugin afresh, forgetting its failures; enables it again if it was disabled
    /// (`!plugin reload`).
    public func reload() {
        failures = []
        process?.kill()
        if case .disabled = state { set(.stopped) }
    }

    /// `!forget me`: the values the plugin kept about the person go from the store, and the
    /// plugin is told (`forget`), in case it holds something of theirs elsewhere.
    public func forget(_ owner: PluginValueOwner) async throws -> Int {
        let removed = try await store?.forget(owner) ?? 0
        if case .ready = state {
            _ = try? await call("forget", .object(["network": .string(owner.network.rawValue), "id": .string(owner.user.rawValue)]))
        }
        return removed
    }

    /// Stops the plugin until it is reloaded (`!plugin disable`).
    public func disable(reason: String) {
        set(.disabled(reason: reason))
        failAll(PluginError.unavailable(name, reason: reason))
        process?.kill()
        logger.notice("plugin disabled", metadata: ["plugin.reason": "\(reason)"])
    }

    /// Starts the program and serves it until it ends; returns why it ended.
    private func runOnce() async -> String {
        run += 1
        let thisRun = run
        let manifest = configuration.manifest
        var environment = self.environment
        environment["PARLEY_PLUGIN"] = manifest.name.rawValue
        environment["PARLEY_PLUGIN_PROTOCOL"] = "\(PluginManifest.protocolVersion)"
        // Where Parley's own programs are, for plugins built with it (plugins/moderation).
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            environment["PARLEY_BIN_DIR"] = (executable as NSString).deletingLastPathComponent
        }
        let process: PluginProcess
        do {
            let logger = self.logger
            process = try PluginProcess(
                manifest.run, directory: manifest.directory, environment: environment, maxLineBytes: configuration.maxLineBytes,
                diagnostics: { line in logger.info("\(line)", metadata: ["plugin.stderr": "true"]) })
        } catch {
            logger.error("could not start the plugin", metadata: ["plugin.error": "\(error)"])
            return "could not start: \(error)"
        }
        self.process = process
        set(.starting)
        let greeting = Task { await self.greet(run: thisRun) }
        var ended = "its output ended"
        for await event in process.events {
            switch event {
            case .line(let line):
                if let violation = await handle(line) {
                    logger.error("plugin broke the protocol; restarting it", metadata: ["plugin.error": "\(violation)"])
                    ended = violation
                    failAll(PluginError.protocolViolation(name, detail: violation))
                    process.kill()
                }
            case .overlong:
                ended = "a line over \(configuration.maxLineBytes) bytes"
                logger.error("plugin wrote a line over the limit; restarting it", metadata: ["plugin.limit": "\(configuration.maxLineBytes)"])
                failAll(PluginError.protocolViolation(name, detail: ended))
                process.kill()
            case .exited(let status):
                if ended == "its output ended" { ended = "exited with status \(status)" }
                failAll(PluginError.exited(name, status: status))
            }
        }
        greeting.cancel()
        cancelTimers()
        // Cancelled (Parley is stopping): the program is still running, and `stop()` ends it.
        guard !Task.isCancelled else { return "stopping" }
        if self.process === process { self.process = nil }
        switch state {
        case .ready, .starting: set(.stopped)
        default: break
        }
        return ended
    }

    /// The handshake: `hello` with the settings; the plugin answers with the protocol it speaks.
    private func greet(run thisRun: Int) async {
        let manifest = configuration.manifest
        let params: JSONValue = .object([
            "protocol": .number(Double(PluginManifest.protocolVersion)),
            "plugin": .string(manifest.name.rawValue),
            "settings": .object(configuration.settings),
        ])
        do {
            let answer = try await send("hello", params, run: thisRun)
            guard answer["protocol"]?.number == Double(PluginManifest.protocolVersion) else {
                logger.error("plugin speaks another protocol version", metadata: [
                    "plugin.answer": "\(answer.compactText.prefix(200))", "plugin.expected": "\(PluginManifest.protocolVersion)"])
                process?.kill()
                return
            }
            guard run == thisRun else { return }
            set(.ready)
            logger.info("plugin ready", metadata: ["plugin.version": "\(manifest.version)"])
        } catch {
            logger.error("plugin did not complete the handshake", metadata: ["plugin.error": "\(error)"])
        }
    }

    private func stop() async {
        guard let process else {
            set(.stopped)
            return
        }
        process.closeInput()
        failAll(PluginError.unavailable(name, reason: "Parley is stopping"))
        // Not on the injected clock: this runs while the task is cancelled, and a test clock
        // would never be advanced then.
        let deadline = Task.detached {
            try? await Task.sleep(for: .seconds(1))
            process.kill()
        }
        _ = await Task.detached { await process.waitForExit() }.value
        deadline.cancel()
        self.process = nil
        set(.stopped)
    }

    private func cancelTimers() {
        for timer in timers.values { timer.cancel() }
        timers = [:]
    }

    private func set(_ new: State) {
        state = new
        stateChanged.releaseAll()
    }

    /// Returns once the plugin is ready (tests; `parley plugins check`), or throws when it is
    /// disabled.
    public func waitUntilReady() async throws {
        while true {
            let generation = stateChanged.generation
            switch state {
            case .ready: return
            case .disabled(let reason): throw PluginError.unavailable(name, reason: reason)
            default: break
            }
            await stateChanged.wait(since: generation)
            try Task.checkCancellation()
        }
    }

    // MARK: - Calls

    /// Sends `method` to the plugin and returns its result, or throws: not ready, no answer in
    /// time (the plugin is then restarted), it exited, or it answered with an error.
    public func call(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        guard case .ready = state else { throw PluginError.unavailable(name, reason: "\(state)") }
        ParleyMetric.pluginCalls.increment([("plugin", name.rawValue)])
        return try await send(method, params, run: run)
    }

    /// Tells the plugin something it need not answer (a JSON-RPC notification); dropped when the
    /// plugin is not ready, or not reading.
    public func notify(_ method: String, _ params: JSONValue) {
        guard case .ready = state, let process else { return }
        let line = JSONValue.object(["jsonrpc": .string("2.0"), "method": .string(method), "params": params]).compactText
        _ = process.write(Array(line.utf8))
    }

    private func send(_ method: String, _ params: JSONValue, run thisRun: Int) async throws -> JSONValue {
        guard let process, run == thisRun else { throw PluginError.unavailable(name, reason: "\(state)") }
        nextID += 1
        let id = nextID
        let line = JSONValue.object([
            "jsonrpc": .string("2.0"), "id": .number(Double(id)), "method": .string(method), "params": params,
        ]).compactText
        return try await withCheckedThrowingContinuation { continuation in
            let timeout = configuration.timeout
            let timer = Task { [clock] in
                do { try await clock.sleep(for: timeout) } catch { return }
                self.expire(id, run: thisRun)
            }
            pending[id] = Pending(continuation: continuation, timer: timer, method: method)
            if !process.write(Array(line.utf8)) {
                logger.error("plugin is not reading its input; restarting it")
                failAll(PluginError.protocolViolation(name, detail: "it does not read its input"))
                process.kill()
            }
        }
    }

    private func expire(_ id: Int, run thisRun: Int) {
        guard let call = pending.removeValue(forKey: id) else { return }
        logger.error("plugin did not answer in time; restarting it", metadata: [
            "plugin.method": "\(call.method)", "plugin.timeout": "\(configuration.timeout)"])
        call.continuation.resume(throwing: PluginError.timedOut(name, after: configuration.timeout))
        if run == thisRun {
            failAll(PluginError.timedOut(name, after: configuration.timeout))
            process?.kill()
        }
    }

    private func failAll(_ error: PluginError) {
        let calls = pending
        pending = [:]
        for call in calls.values {
            call.timer.cancel()
            call.continuation.resume(throwing: error)
        }
    }

    // MARK: - What the plugin writes

    /// One line from the plugin: an answer to a call, a request of its own, or a log line.
    /// Returns what is wrong with it, if it breaks the protocol.
    private func handle(_ line: [UInt8]) async -> String? {
        guard let message = try? JSONDecoder().decode(JSONValue.self, from: Data(line)), case .object = message else {
            return "a line that is not a JSON object: \(Self.excerpt(line))"
        }
        if let method = message["method"]?.string {
            let result = await serve(method, message["params"] ?? .null)
            if let id = message["id"], id != .null {
                var answer: [String: JSONValue] = ["jsonrpc": .string("2.0"), "id": id]
                switch result {
                case .success(let value): answer["result"] = value
                case .failure(let failure): answer["error"] = .object(["code": .number(Double(failure.code)), "message": .string(failure.message)])
                }
                _ = process?.write(Array(JSONValue.object(answer).compactText.utf8))
            }
            return nil
        }
        guard let number = message["id"]?.number, let id = Int(exactly: number) else {
            return "a message with neither a method nor a call's id: \(Self.excerpt(line))"
        }
        guard let call = pending.removeValue(forKey: id) else {
            // A late answer to a call that timed out is not a violation; an answer to a call
            // never made is.
            return id <= nextID ? nil : "an answer to call \(id), which was never made"
        }
        call.timer.cancel()
        if let error = message["error"] {
            call.continuation.resume(throwing: PluginError.failed(name, message: error["message"]?.string ?? error.compactText))
        } else {
            call.continuation.resume(returning: message["result"] ?? .null)
        }
        return nil
    }

    struct Failure: Error {
        var code: Int
        var message: String
    }

    /// What a plugin may ask: its store (with the permission), and the log.
    private func serve(_ method: String, _ params: JSONValue) async -> Result<JSONValue, Failure> {
        switch method {
        case "log":
            let text = params["message"]?.string ?? params.compactText
            switch params["level"]?.string {
            case "debug": logger.debug("\(text.prefix(2000))")
            case "warning": logger.warning("\(text.prefix(2000))")
            case "error": logger.error("\(text.prefix(2000))")
            default: logger.info("\(text.prefix(2000))")
            }
            return .success(.null)
        case "store.get", "store.set", "store.delete", "store.keys":
            guard configuration.manifest.permissions.store, let store else {
                return .failure(Failure(code: -32001, message: "this plugin has no store permission (permissions: { store: true })"))
            }
            do {
                return .success(try await serveStore(method, params, store))
            } catch let failure as Failure {
                return .failure(failure)
            } catch {
                logger.error("plugin store failed", metadata: ["plugin.error": "\(error)"])
                return .failure(Failure(code: -32002, message: "the store failed"))
            }
        case "send":
            guard configuration.manifest.permissions.send, let outlet else {
                return .failure(Failure(code: -32001, message: "this plugin has no send permission (permissions: { send: true })"))
            }
            guard let network = params["network"]?.string, let channel = params["channel"]?.string,
                  let text = params["text"]?.string, !text.isEmpty else {
                return .failure(Failure(code: -32602, message: "send needs network, channel and text"))
            }
            let sent = await outlet(String(text.prefix(4000)), ChannelKey(network: NetworkID(network), channel: channel))
            return .success(.object(["sent": .bool(sent)]))
        case "timer.set":
            guard let name = params["name"]?.string, !name.isEmpty, name.utf8.count <= 256,
                  let after = params["after_ms"]?.number, after.isFinite, after >= 0, after <= 366 * 86_400_000 else {
                return .failure(Failure(code: -32602, message: "timer.set needs a name and after_ms (0 to a year)"))
            }
            guard timers[name] != nil || timers.count < Self.maxTimers else {
                return .failure(Failure(code: -32003, message: "at most \(Self.maxTimers) timers"))
            }
            timers[name]?.cancel()
            let thisRun = run
            timers[name] = Task { [clock] in
                do { try await clock.sleep(for: .milliseconds(Int64(after))) } catch { return }
                await self.fire(name, run: thisRun)
            }
            return .success(.object([:]))
        case "timer.cancel":
            guard let name = params["name"]?.string else { return .failure(Failure(code: -32602, message: "timer.cancel needs a name")) }
            timers.removeValue(forKey: name)?.cancel()
            return .success(.object([:]))
        default:
            return .failure(Failure(code: -32601, message: "no method \(method)"))
        }
    }

    /// A timer is due: the plugin is told (`timer`), and may then `send`.
    private func fire(_ name: String, run thisRun: Int) async {
        guard run == thisRun else { return }
        timers[name] = nil
        do {
            // A timer set during the handshake (re-armed after a restart) may be due at once.
            try await waitUntilReady()
            guard run == thisRun else { return }
            _ = try await call("timer", .object(["name": .string(name)]))
        } catch {
            logger.warning("a plugin timer could not be delivered", metadata: ["plugin.timer": "\(name)", "plugin.error": "\(error)"])
        }
    }

    static let maxKeyBytes = 256
    static let maxValueBytes = 65_536

    private func serveStore(_ method: String, _ params: JSONValue, _ store: any PluginStore) async throws -> JSONValue {
        if method == "store.keys" {
            let prefix = params["prefix"]?.string ?? ""
            let limit = params["limit"]?.number.map { Int(max(1, min($0, 1000))) } ?? 100
            return .object(["keys": .array(try await store.keys(prefix: prefix, plugin: name, limit: limit).map(JSONValue.string))])
        }
        guard let key = params["key"]?.string, !key.isEmpty, key.utf8.count <= Self.maxKeyBytes else {
            throw Failure(code: -32602, message: "a key is a non-empty string of at most \(Self.maxKeyBytes) bytes")
        }
        switch method {
        case "store.get":
            return .object(["value": try await store.value(for: key, plugin: name).map(JSONValue.string) ?? .null])
        case "store.set":
            guard let value = params["value"]?.string, value.utf8.count <= Self.maxValueBytes else {
                throw Failure(code: -32602, message: "a value is a string of at most \(Self.maxValueBytes) bytes")
            }
            var owner: PluginValueOwner?
            if let about = params["owner"], about != .null {
                guard let network = about["network"]?.string, let user = about["id"]?.string else {
                    throw Failure(code: -32602, message: "an owner is {network, id}: the sender of a message, as the plugin was told")
                }
                owner = PluginValueOwner(network: NetworkID(network), user: UserID(user))
            }
            try await store.set(value, for: key, plugin: name, owner: owner)
            return .object([:])
        default:
            try await store.set(nil, for: key, plugin: name, owner: nil)
            return .object([:])
        }
    }

    static func excerpt(_ line: [UInt8]) -> String {
        String(String(decoding: line.prefix(120), as: UTF8.self).unicodeScalars.map { $0.value < 0x20 ? " " : Character($0) })
    }
}
