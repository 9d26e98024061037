import Foundation
import Logging
import ParleyCore
import ParleyHTTP

/// The client-server API calls Parley makes, each with a timeout, and the retry rules:
///
/// - 429 (`M_LIMIT_EXCEEDED`): wait what the homeserver says (`retry_after_ms`, else the
///   `Retry-After` header, else the backoff), then send the same request again.
/// - 5xx, and no answer at all: exponential backoff with jitter, then the same request again.
/// - Any other error: thrown at once; retrying would not change it.
///
/// A retried request is byte-for-byte the request sent before, so a send's transaction id is
/// reused and the homeserver posts the event once however many times it is asked.
struct MatrixClient: Sendable {
    struct RetryPolicy: Sendable {
        /// Attempts in all, the first included.
        var attempts = 8
        var baseDelay: Duration = .milliseconds(500)
        var maxDelay: Duration = .seconds(30)
    }

    let transport: any MatrixTransport
    var accessToken: Secret?
    var retry = RetryPolicy()
    var requestTimeout: Duration = .seconds(30)
    let logger: Logger
    /// Waits between attempts (tests record the waits instead).
    var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    // MARK: - Calling

    /// Sends a request, retrying as the type's rules say, and decodes the answer.
    func call<Response: Decodable>(
        _ method: String, _ path: String, query: [String: String] = [:], body: JSONValue? = nil,
        timeout: Duration? = nil, authenticated: Bool = true, as type: Response.Type = Response.self
    ) async throws -> Response {
        let request = MatrixHTTPRequest(
            method: method, path: path, query: query, body: try body.map { try JSONEncoder().encode($0) },
            timeout: timeout ?? requestTimeout)
        let data = try await exchange(request, authenticated: authenticated)
        do {
            return try JSONDecoder().decode(Response.self, from: data)
        } catch {
            throw MatrixError.malformedResponse(endpoint: Self.endpointName(path), detail: "\(error)")
        }
    }

    /// Sends `request` until it succeeds, fails for good, or the attempts run out.
    func exchange(_ request: MatrixHTTPRequest, authenticated: Bool = true) async throws -> Data {
        let endpoint = Self.endpointName(request.path)
        var attempt = 0
        while true {
            attempt += 1
            let wait: Duration
            let problem: String
            do {
                let response = try await transport.perform(request, accessToken: authenticated ? accessToken : nil)
                if (200..<300).contains(response.status) { return response.body }
                let error = Self.error(from: response, endpoint: endpoint)
                if response.status == 429 || error.code == "M_LIMIT_EXCEEDED" {
                    wait = Self.retryAfter(response) ?? backoff(attempt)
                    logger.notice("rate-limited by the homeserver; waiting", metadata: [
                        "matrix.endpoint": "\(endpoint)", "matrix.wait_ms": "\(wait.inMilliseconds)"])
                } else if response.status >= 500 {
                    wait = backoff(attempt)
                } else {
                    throw error
                }
                problem = "\(error)"
            } catch let error as MatrixError {
                throw error
            } catch let error as HTTPError where !error.isTransient {
                throw MatrixError.malformedResponse(endpoint: endpoint, detail: "\(error)")
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try Task.checkCancellation()
                wait = backoff(attempt)
                problem = "\(error)"
            }
            guard attempt < retry.attempts else {
                throw MatrixError.gaveUp(endpoint: endpoint, attempts: attempt, last: problem)
            }
            logger.debug("retrying", metadata: [
                "matrix.endpoint": "\(endpoint)", "matrix.attempt": "\(attempt)", "matrix.error": "\(problem)"])
            try await sleep(wait)
        }
    }

    func backoff(_ attempt: Int) -> Duration {
        Backoff(base: retry.baseDelay, cap: retry.maxDelay).delay(after: attempt)
    }

    /// The wait a 429 asks for: `retry_after_ms` in the body, else a `Retry-After` header in
    /// seconds; at most an hour, so a hostile or broken server cannot park the bot for ever.
    static func retryAfter(_ response: HTTPResponse) -> Duration? {
        let body = try? JSONDecoder().decode(JSONValue.self, from: response.body)
        if case .number(let milliseconds)? = body?["retry_after_ms"], milliseconds.isFinite, milliseconds >= 0 {
            return .milliseconds(Int64(min(milliseconds, 3_600_000)))
        }
        return response.retryAfter(cap: .seconds(3600))
    }

    static func error(from response: HTTPResponse, endpoint: String) -> MatrixError {
        let body = try? JSONDecoder().decode(JSONValue.self, from: response.body)
        let code = body?["errcode"]?.string ?? "M_UNKNOWN"
        let message = body?["error"]?.string
            ?? String(decoding: response.body.prefix(200), as: UTF8.self).filter { !$0.isNewline }
        return .homeserver(endpoint: endpoint, status: response.status, code: code, message: message)
    }

    /// The path without the API prefix and with ids replaced, for logs: `rooms/…/send/m.room.message/…`.
    static func endpointName(_ path: String) -> String {
        let trimmed = path.replacingOccurrences(of: "/_matrix/client/v3/", with: "")
        return trimmed.split(separator: "/").map { segment in
            segment.hasPrefix("%21") || segment.hasPrefix("%24") || segment.hasPrefix("%40") || segment.hasPrefix("%23")
                ? "…" : String(segment)
        }.joined(separator: "/")
    }
}
