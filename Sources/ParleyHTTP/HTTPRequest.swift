public import Foundation

/// One request, as every HTTP user in Parley builds it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: HTTPHeaders
    public var body: Data?
    /// The longest silence, connecting included, before the exchange fails.
    public var idleTimeout: Duration
    /// The longest the whole exchange may take.
    public var totalTimeout: Duration

    public init(
        method: String, url: URL, headers: HTTPHeaders = [:], body: Data? = nil,
        idleTimeout: Duration = .seconds(60), totalTimeout: Duration = .seconds(300)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.idleTimeout = idleTimeout
        self.totalTimeout = max(idleTimeout, totalTimeout)
    }
}
