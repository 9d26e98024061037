public import Foundation
public import ParleyCore
public import ParleyHTTP

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

/// Sends requests to one homeserver. The real one is `HomeserverTransport`; tests use fakes for
/// faults a real server cannot be made to produce on demand.
public protocol MatrixTransport: Sendable {
    /// Sends `request` with `accessToken` as its bearer token; throws only when no response came.
    func perform(_ request: MatrixHTTPRequest, accessToken: Secret?) async throws -> HTTPResponse
}

/// The homeserver over Parley's shared HTTP layer (`ParleyHTTP`): one session per origin, so
/// the sync long-poll, sends and typing reuse the connections already open.
public struct HomeserverTransport: MatrixTransport {
    private let homeserver: URL
    private let http: any HTTPClient

    /// The largest response read (an initial sync of a busy account is megabytes; a hostile
    /// server must not make the bot hold gigabytes).
    static let maxResponseBytes = 64 << 20

    public init(homeserver: URL, http: any HTTPClient) {
        self.homeserver = homeserver
        self.http = http
    }

    public func perform(_ request: MatrixHTTPRequest, accessToken: Secret?) async throws -> HTTPResponse {
        var components = URLComponents(url: homeserver, resolvingAgainstBaseURL: false)
        let base = components?.percentEncodedPath ?? ""
        components?.percentEncodedPath = (base.hasSuffix("/") ? String(base.dropLast()) : base) + request.path
        if !request.query.isEmpty {
            components?.percentEncodedQuery = request.query.sorted { $0.key < $1.key }
                .map { "\(MatrixPath.encode($0.key))=\(MatrixPath.encode($0.value))" }
                .joined(separator: "&")
        }
        guard let url = components?.url else { throw MatrixError.invalidURL(homeserver.absoluteString + request.path) }
        var headers = HTTPHeaders()
        if request.body != nil { headers["Content-Type"] = "application/json" }
        if let accessToken { headers["Authorization"] = "Bearer \(accessToken.value)" }
        let exchange = HTTPRequest(
            method: request.method, url: url, headers: headers, body: request.body,
            idleTimeout: request.timeout, totalTimeout: request.timeout)
        return try await http.send(exchange, maxBodyBytes: Self.maxResponseBytes)
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
