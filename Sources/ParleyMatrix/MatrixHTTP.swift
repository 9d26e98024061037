public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import ParleyCore
import Synchronization

/// One request to the homeserver, in the form the client builds and a transport sends.
public struct MatrixHTTPRequest: Sendable, Hashable {
    public var method: String
    /// The path, its segments already percent-encoded (`/_matrix/client/v3/rooms/%21a%3Ab/send/…`).
    public var path: String
    public var query: [String: String]
    public var body: Data?
    /// The longest the whole exchange may take.
    public var timeout: Duration

    public init(method: String, path: String, query: [String: String] = [:], body: Data? = nil, timeout: Duration) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.timeout = timeout
    }
}

/// The homeserver's answer: status, headers (names lowercased) and body.
public struct MatrixHTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends requests to one homeserver. The real one is `URLSessionTransport`; tests use fakes for
/// faults a real server cannot be made to produce on demand.
public protocol MatrixTransport: Sendable {
    /// Sends `request` with `accessToken` as its bearer token; throws only when no response came.
    func perform(_ request: MatrixHTTPRequest, accessToken: Secret?) async throws -> MatrixHTTPResponse
}

/// HTTP over FoundationNetworking's URLSession, which is libcurl on Linux: one session, so
/// connections to the homeserver are kept alive and reused.
public final class URLSessionTransport: MatrixTransport {
    private let homeserver: URL
    private let session: URLSession

    public init(homeserver: URL) {
        self.homeserver = homeserver
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 16
        // Each request's own timeout bounds silence; this bounds a response that trickles in.
        configuration.timeoutIntervalForResource = 300
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.invalidateAndCancel()
    }

    public func perform(_ request: MatrixHTTPRequest, accessToken: Secret?) async throws -> MatrixHTTPResponse {
        var components = URLComponents(url: homeserver, resolvingAgainstBaseURL: false)
        let base = components?.percentEncodedPath ?? ""
        components?.percentEncodedPath = (base.hasSuffix("/") ? String(base.dropLast()) : base) + request.path
        if !request.query.isEmpty {
            components?.percentEncodedQuery = request.query.sorted { $0.key < $1.key }
                .map { "\(MatrixPath.encode($0.key))=\(MatrixPath.encode($0.value))" }
                .joined(separator: "&")
        }
        guard let url = components?.url else { throw MatrixError.invalidURL(homeserver.absoluteString + request.path) }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = request.timeout.seconds
        urlRequest.httpBody = request.body
        if request.body != nil { urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let accessToken { urlRequest.setValue("Bearer \(accessToken.value)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await Self.fetch(urlRequest, on: session)
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http?.allHeaderFields ?? [:] {
            headers[String(describing: key).lowercased()] = String(describing: value)
        }
        return MatrixHTTPResponse(status: http?.statusCode ?? 0, headers: headers, body: data)
    }
}

extension URLSessionTransport {
    /// One request, cancellable. Not `URLSession.data(for:)`: on Linux its cancellation handler
    /// cancels the transfer synchronously while the task's status is locked, and when the
    /// session's queue is at that moment resuming the same task (the transfer just failed or
    /// finished), the two wait for each other for ever (seen: a test run hung in
    /// `URLSessionTask.cancel` under `swift_task_cancel`). Here the cancel is handed to another
    /// queue, so the cancellation handler returns at once.
    static func fetch(_ request: URLRequest, on session: URLSession) async throws -> (Data, URLResponse) {
        let box = TaskBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        let cancelled = (error as? URLError)?.code == .cancelled
                        continuation.resume(throwing: cancelled ? CancellationError() : error)
                    } else if let data, let response {
                        continuation.resume(returning: (data, response))
                    } else {
                        continuation.resume(throwing: URLError(.badServerResponse))
                    }
                }
                box.set(task)
                task.resume()
            }
        } onCancel: {
            DispatchQueue.global().async { box.cancel() }
        }
    }

    /// The transfer, for a cancellation that may come before or after it exists.
    private final class TaskBox: Sendable {
        private let state = Mutex<(task: URLSessionDataTask?, cancelled: Bool)>((nil, false))

        func set(_ task: URLSessionDataTask) {
            let cancelNow = state.withLock { state -> Bool in
                state.task = task
                return state.cancelled
            }
            if cancelNow { task.cancel() }
        }

        func cancel() {
            let task = state.withLock { state -> URLSessionDataTask? in
                state.cancelled = true
                return state.task
            }
            task?.cancel()
        }
    }
}

/// Percent-encoding of path segments and query values: everything but the unreserved characters
/// of RFC 3986, so that `!room:server`, `$event` and `#alias:server` stay one segment each.
enum MatrixPath {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? segment
    }

    /// `/_matrix/client/v3/` followed by the segments, each encoded.
    static func client(_ segments: String...) -> String {
        "/_matrix/client/v3/" + segments.map(encode).joined(separator: "/")
    }
}

extension Duration {
    var seconds: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }

    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
