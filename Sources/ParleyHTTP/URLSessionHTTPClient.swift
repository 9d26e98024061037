import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import ParleyCore

/// HTTP over FoundationNetworking's URLSession (libcurl on Linux): one session per origin
/// (scheme, host, port), so every request to a homeserver or a model server reuses the
/// connections already open to it. Timeouts are kept here on the injected clock, not by
/// URLSession, so they mean the same for every user and tests drive them.
public final class URLSessionHTTPClient: HTTPClient {
    private let clock: any MonotonicClock
    private let sessions = Locked<[Origin: OriginSession]>([:])

    /// Connections at most to one origin (a Matrix sync long-poll, sends and typing at once).
    private let connectionsPerOrigin: Int

    public init(clock: any MonotonicClock = SystemMonotonicClock(), connectionsPerOrigin: Int = 16) {
        self.clock = clock
        self.connectionsPerOrigin = connectionsPerOrigin
    }

    /// Transfers still running finish; the sessions go once they have.
    deinit {
        for session in sessions.withLock({ Array($0.values) }) { session.session.finishTasksAndInvalidate() }
    }

    /// How many origins have a session (tests of reuse).
    public var origins: Int { sessions.withLock { $0.count } }

    public func stream(_ request: HTTPRequest) -> AsyncThrowingStream<HTTPStreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: HTTPStreamEvent.self, throwing: (any Error).self)
        do {
            try request.headers.validate()
            guard let origin = Origin(request.url) else { throw HTTPError.unsupportedURL(request.url.absoluteString) }
            let session = self.session(for: origin)
            let task = session.session.dataTask(with: Self.urlRequest(request))
            let transfer = Transfer(continuation: continuation, clock: clock, request: request)
            session.router.register(transfer, for: task.taskIdentifier)
            transfer.watch()
            continuation.onTermination = { [router = session.router] _ in
                transfer.stopWatching()
                router.remove(task.taskIdentifier)
                // Not here and now: this may run inside the reader's cancellation handler, with
                // its task's status locked, and cancelling a transfer waits for the session's
                // queue, which may at that moment be resuming that very reader (a
                // corelibs-foundation deadlock: a test run hung in URLSessionTask.cancel under
                // swift_task_cancel).
                DispatchQueue.global().async { task.cancel() }
            }
            task.resume()
        } catch {
            continuation.finish(throwing: error)
        }
        return stream
    }

    private func session(for origin: Origin) -> OriginSession {
        sessions.withLock { sessions in
            if let session = sessions[origin] { return session }
            let configuration = URLSessionConfiguration.ephemeral
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            configuration.httpMaximumConnectionsPerHost = connectionsPerOrigin
            // Backstops only: `Transfer` keeps the request's own idle and total limits.
            configuration.timeoutIntervalForRequest = 86_400
            configuration.timeoutIntervalForResource = 86_400
            let router = Router()
            let session = OriginSession(session: URLSession(configuration: configuration, delegate: router, delegateQueue: nil), router: router)
            sessions[origin] = session
            return session
        }
    }

    static func urlRequest(_ request: HTTPRequest) -> URLRequest {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        urlRequest.timeoutInterval = 86_400
        for field in request.headers { urlRequest.addValue(field.value, forHTTPHeaderField: field.name) }
        return urlRequest
    }
}

extension URLSessionHTTPClient {
    /// Where connections go: requests to the same origin share a session and its connections.
    struct Origin: Hashable {
        var scheme: String
        var host: String
        var port: Int

        init?(_ url: URL) {
            guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host?.lowercased(), !host.isEmpty else { return nil }
            self.scheme = scheme
            self.host = host
            port = url.port ?? (scheme == "https" ? 443 : 80)
        }
    }

    struct OriginSession: Sendable {
        let session: URLSession
        let router: Router
    }

    /// The session's delegate: hands each task's callbacks to its `Transfer`. `Sendable`: its
    /// only state is behind a mutex.
    final class Router: NSObject, URLSessionDataDelegate, Sendable {
        private let transfers = Locked<[Int: Transfer]>([:])

        func register(_ transfer: Transfer, for task: Int) {
            transfers.withLock { $0[task] = transfer }
        }

        func remove(_ task: Int) {
            _ = transfers.withLock { $0.removeValue(forKey: task) }
        }

        /// The transfer the task's callbacks go to. A task nobody reads any more (its reader
        /// stopped and the cancel is on its way) is cancelled from here too, so that it never
        /// runs on unread.
        private func transfer(_ task: URLSessionTask) -> Transfer? {
            guard let transfer = transfers.withLock({ $0[task.taskIdentifier] }) else {
                task.cancel()
                return nil
            }
            return transfer
        }

        func urlSession(
            _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
            completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
        ) {
            let http = response as? HTTPURLResponse
            var headers = HTTPHeaders()
            for (key, value) in http?.allHeaderFields ?? [:] {
                headers.add(String(describing: key), String(describing: value))
            }
            transfer(dataTask)?.received(.head(status: http?.statusCode ?? 0, headers: headers))
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            transfer(dataTask)?.received(.body(data))
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            let transfer = transfers.withLock { $0.removeValue(forKey: task.taskIdentifier) }
            guard let transfer else { return }
            if let error {
                transfer.fail(Self.error(error))
            } else {
                transfer.finish()
            }
        }

        /// The failure in a line: never the error's user info, which repeats the whole URL (a
        /// Matrix sync URL carries its filter: two kilobytes a line).
        static func error(_ error: any Error) -> any Error {
            guard let urlError = error as? URLError else {
                let failure = error as NSError
                return HTTPError.connection("\(failure.localizedDescription) (\(failure.domain) \(failure.code))")
            }
            if urlError.code == .cancelled { return CancellationError() }
            return HTTPError.connection("\(urlError.localizedDescription) (\(urlError.code.rawValue))")
        }
    }

    /// One request in flight: forwards events into the caller's stream and keeps its idle and
    /// total limits on the clock. `Sendable`: the continuation is, and the rest is behind a
    /// mutex.
    final class Transfer: Sendable {
        private let continuation: AsyncThrowingStream<HTTPStreamEvent, any Error>.Continuation
        private let clock: any MonotonicClock
        private let idle: Duration
        private let total: Duration
        private let started: Duration
        private let state: Locked<(lastActivity: Duration, watchdog: Task<Void, Never>?, done: Bool)>

        init(continuation: AsyncThrowingStream<HTTPStreamEvent, any Error>.Continuation, clock: any MonotonicClock, request: HTTPRequest) {
            self.continuation = continuation
            self.clock = clock
            idle = request.idleTimeout
            total = request.totalTimeout
            started = clock.now()
            state = Locked((started, nil, false))
        }

        func received(_ event: HTTPStreamEvent) {
            let now = clock.now()
            guard state.withLock({ state -> Bool in
                state.lastActivity = now
                return !state.done
            }) else { return }
            continuation.yield(event)
        }

        func finish() {
            guard close() else { return }
            continuation.finish()
        }

        func fail(_ error: any Error) {
            guard close() else { return }
            continuation.finish(throwing: error)
        }

        /// Marks the transfer done; false if it already was.
        private func close() -> Bool {
            let (first, watchdog) = state.withLock { state in
                defer { state.done = true; state.watchdog = nil }
                return (!state.done, state.watchdog)
            }
            watchdog?.cancel()
            return first
        }

        /// Starts the timer that fails the transfer at its idle or total limit.
        func watch() {
            let watchdog = Task { [self] in
                while !Task.isCancelled {
                    let now = clock.now()
                    let last = state.withLock { $0.lastActivity }
                    if now - started >= total { return fail(HTTPError.totalTimeout(total)) }
                    if now - last >= idle { return fail(HTTPError.idleTimeout(idle)) }
                    let next = min(last + idle, started + total)
                    do { try await clock.sleep(for: next - now) } catch { return }
                }
            }
            let finished = state.withLock { state -> Bool in
                if !state.done { state.watchdog = watchdog }
                return state.done
            }
            if finished { watchdog.cancel() }
        }

        func stopWatching() {
            let watchdog = state.withLock { state in
                defer { state.watchdog = nil }
                return state.watchdog
            }
            watchdog?.cancel()
        }
    }
}
