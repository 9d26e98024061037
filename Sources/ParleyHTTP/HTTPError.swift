/// Why an HTTP exchange produced no usable response. A status the server sent is not an error
/// here: callers read `HTTPResponse.status` and decide.
public enum HTTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A header that cannot be sent as written; nothing was sent.
    case invalidHeader(name: String, reason: String)
    /// The URL has no scheme and host this client can reach.
    case unsupportedURL(String)
    /// Nothing arrived for this long (connecting included).
    case idleTimeout(Duration)
    /// The whole exchange took longer than this.
    case totalTimeout(Duration)
    /// The response body passed the limit the caller set.
    case bodyTooLarge(limit: Int)
    /// The connection failed: refused, reset, TLS, DNS…
    case connection(String)

    public var description: String {
        switch self {
        case .invalidHeader(let name, let reason): "header '\(name)' cannot be sent: \(reason)"
        case .unsupportedURL(let url): "'\(url)' is not an http or https URL with a host"
        case .idleTimeout(let limit): "nothing arrived for \(limit)"
        case .totalTimeout(let limit): "the exchange took longer than \(limit)"
        case .bodyTooLarge(let limit): "the response is larger than \(limit) bytes"
        case .connection(let detail): "the connection failed: \(detail)"
        }
    }

    /// Whether sending the same request again may succeed.
    public var isTransient: Bool {
        switch self {
        case .idleTimeout, .totalTimeout, .connection: true
        case .invalidHeader, .unsupportedURL, .bodyTooLarge: false
        }
    }
}
