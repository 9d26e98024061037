import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request whose response arrives in pieces as the server writes them, over
/// FoundationNetworking's URLSession (libcurl on Linux, which has no `AsyncBytes`). Ending the
/// iteration, or cancelling the task iterating, cancels the transfer and closes the connection.
enum HTTPStream {
    enum Event: Sendable {
        case head(status: Int, headers: [String: String])
        case body(Data)
    }

    /// - Parameters:
    ///   - idleTimeout: the longest silence (connecting included) before the request fails.
    ///   - totalTimeout: the longest the whole response may take.
    static func events(for request: URLRequest, idleTimeout: Duration, totalTimeout: Duration) -> AsyncThrowingStream<Event, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Event.self, throwing: (any Error).self)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout.seconds
        configuration.timeoutIntervalForResource = totalTimeout.seconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let delegate = Delegate(continuation)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        var request = request
        request.timeoutInterval = idleTimeout.seconds
        let task = session.dataTask(with: request)
        continuation.onTermination = { _ in
            // Not here and now: this may run inside the reader's cancellation, with its task's
            // status locked, and cancelling the transfer waits for the session's queue, which may
            // be resuming that very reader (a corelibs-foundation deadlock; see MatrixHTTP).
            DispatchQueue.global().async {
                task.cancel()
                session.invalidateAndCancel()
            }
        }
        task.resume()
        return stream
    }

    /// Forwards the session's callbacks into the stream. `Sendable`: it holds only the
    /// continuation, which is.
    private final class Delegate: NSObject, URLSessionDataDelegate, Sendable {
        let continuation: AsyncThrowingStream<Event, any Error>.Continuation

        init(_ continuation: AsyncThrowingStream<Event, any Error>.Continuation) {
            self.continuation = continuation
        }

        func urlSession(
            _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
            completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
        ) {
            let http = response as? HTTPURLResponse
            var headers: [String: String] = [:]
            for (key, value) in http?.allHeaderFields ?? [:] {
                headers[String(describing: key).lowercased()] = String(describing: value)
            }
            continuation.yield(.head(status: http?.statusCode ?? 0, headers: headers))
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            continuation.yield(.body(data))
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            if let error { continuation.finish(throwing: error) } else { continuation.finish() }
            session.finishTasksAndInvalidate()
        }
    }
}

extension Duration {
    /// The duration in seconds, as Foundation takes it.
    var seconds: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
