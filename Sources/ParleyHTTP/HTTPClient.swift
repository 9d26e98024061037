public import Foundation

/// What arrives for one request, in order: the head once, then the body in pieces as the server
/// writes them.
public enum HTTPStreamEvent: Sendable {
    case head(status: Int, headers: HTTPHeaders)
    case body(Data)
}

/// The one HTTP layer Parley's network users share (the Matrix client and the OpenAI-compatible
/// backend). The real one is `CurlHTTPClient`.
public protocol HTTPClient: Sendable {
    /// The response as it arrives. Ending the iteration, or cancelling the task iterating,
    /// cancels the transfer. Fails with `HTTPError` (or `CancellationError`); a status from the
    /// server is an event, not an error.
    func stream(_ request: HTTPRequest) -> AsyncThrowingStream<HTTPStreamEvent, any Error>
}

extension HTTPClient {
    /// The whole response, its body at most `maxBodyBytes` (a server cannot make the caller
    /// hold more).
    public func send(_ request: HTTPRequest, maxBodyBytes: Int = 64 << 20) async throws -> HTTPResponse {
        var response = HTTPResponse(status: 0, body: Data())
        for try await event in stream(request) {
            switch event {
            case .head(let status, let headers):
                response.status = status
                response.headers = headers
            case .body(let data):
                guard response.body.count + data.count <= maxBodyBytes else { throw HTTPError.bodyTooLarge(limit: maxBodyBytes) }
                response.body.append(data)
            }
        }
        try Task.checkCancellation()
        return response
    }
}
