import CCurl
import CCurlShims
public import Foundation
public import ParleyCore
import Synchronization

/// HTTP over libcurl's multi interface, driven by one thread of its own: every request to a
/// host shares that host's kept-alive connections (at most `connectionsPerHost` at once: a
/// Matrix sync long-poll, sends and typing together). TLS peers and host names are verified
/// against the system's CAs. Timeouts are kept by `HTTPTransfer` on the injected clock, so they
/// mean the same for every user and tests drive them.
///
/// Why not URLSession: on Linux, FoundationNetworking leaks the parsed URL of every request
/// (`CFURLSessionCurlHostIsEqual` frees a `CURLU` with `curl_free`, not `curl_url_cleanup`):
/// about 0.7 KB a request, which a daemon answering all day grows by without bound (found by
/// the soak under heaptrack, session 14).
public final class CurlHTTPClient: HTTPClient {
    private let clock: any MonotonicClock
    private let worker: CurlWorker

    public init(clock: any MonotonicClock = SystemMonotonicClock(), connectionsPerHost: Int = 16) {
        self.clock = clock
        worker = CurlWorker(connectionsPerHost: connectionsPerHost)
    }

    /// Transfers still running finish; the thread goes once they have.
    deinit { worker.retire() }

    public func stream(_ request: HTTPRequest) -> AsyncThrowingStream<HTTPStreamEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: HTTPStreamEvent.self, throwing: (any Error).self)
        do {
            try request.headers.validate()
            guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = request.url.host, !host.isEmpty else {
                throw HTTPError.unsupportedURL(request.url.absoluteString)
            }
            let exchange = CurlExchange(request: request, transfer: HTTPTransfer(continuation: continuation, clock: clock, request: request))
            continuation.onTermination = { [worker] _ in
                exchange.transfer.fail(CancellationError())  // stops its watchdog; a no-op when it had ended
                worker.cancel(exchange)
            }
            exchange.transfer.watch()
            worker.start(exchange)
        } catch {
            continuation.finish(throwing: error)
        }
        return stream
    }
}

/// One exchange: the request, where its events go, and what libcurl has said so far.
///
/// `@unchecked Sendable`: made by `stream`, handed to the worker thread through its inbox's
/// lock; its mutable fields are touched only by that thread from then on (`transfer` is
/// `Sendable` itself).
final class CurlExchange: @unchecked Sendable {
    let request: HTTPRequest
    let transfer: HTTPTransfer
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    let errorBuffer: UnsafeMutablePointer<CChar>
    var status = 0
    var headers = HTTPHeaders()
    var headSent = false

    init(request: HTTPRequest, transfer: HTTPTransfer) {
        self.request = request
        self.transfer = transfer
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// A header line (CR LF included), or the blank line that ends a response's head.
    func header(_ bytes: UnsafeRawBufferPointer) {
        var line = String(decoding: bytes, as: UTF8.self)
        while let last = line.last, last.isNewline { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            // A new response begins (after a 100 Continue, say): its status, no headers yet.
            let fields = line.split(separator: " ", maxSplits: 2)
            status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
            headers = HTTPHeaders()
        } else if line.isEmpty {
            if status >= 200 { sendHead() }
        } else if let colon = line.firstIndex(of: ":") {
            // HTTPHeaders lowercases the name and trims the value.
            headers.add(String(line[..<colon]).trimmingCharacters(in: .whitespaces), String(line[line.index(after: colon)...]))
        }
    }

    func sendHead() {
        guard !headSent else { return }
        headSent = true
        transfer.received(.head(status: status, headers: headers))
    }
}

/// The thread that drives libcurl: takes exchanges to start and to cancel from its inbox,
/// runs the transfers, and hands what arrives to each exchange's `HTTPTransfer`.
///
/// `@unchecked Sendable`: `multi` and `running` are touched only by the worker thread; the
/// inbox is behind its mutex; `curl_multi_wakeup` is the one libcurl call made from other
/// threads, and libcurl documents it as thread-safe.
final class CurlWorker: @unchecked Sendable {
    private struct Inbox {
        var starting: [CurlExchange] = []
        var cancelling: [CurlExchange] = []
        var retiring = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    private var running: [UnsafeMutableRawPointer: CurlExchange] = [:]

    init(connectionsPerHost: Int) {
        pc_global_init()
        multi = pc_multi_new(connectionsPerHost)!
        let thread = Thread { [self] in run() }
        thread.name = "parley.http"
        thread.start()
    }

    /// libcurl's callbacks (on this thread, inside `curl_multi_perform`): a piece of the body,
    /// and a header line. Returning other than the length aborts the transfer.
    private static let onBody: curl_write_callback = { data, size, count, context in
        let exchange = Unmanaged<CurlExchange>.fromOpaque(context!).takeUnretainedValue()
        exchange.sendHead()
        guard exchange.transfer.isOpen else { return 0 }  // abandoned: libcurl stops the transfer
        exchange.transfer.received(.body(Data(bytes: data!, count: size * count)))
        return size * count
    }

    private static let onHeader: curl_write_callback = { data, size, count, context in
        let exchange = Unmanaged<CurlExchange>.fromOpaque(context!).takeUnretainedValue()
        exchange.header(UnsafeRawBufferPointer(start: data, count: size * count))
        return size * count
    }

    func start(_ exchange: CurlExchange) {
        inbox.withLock { $0.starting.append(exchange) }
        curl_multi_wakeup(multi)
    }

    func cancel(_ exchange: CurlExchange) {
        inbox.withLock { $0.cancelling.append(exchange) }
        curl_multi_wakeup(multi)
    }

    /// The thread ends once nothing is running or waiting to start.
    func retire() {
        inbox.withLock { $0.retiring = true }
        curl_multi_wakeup(multi)
    }

    private func run() {
        while true {
            let (starting, cancelling, retiring) = inbox.withLock { inbox in
                defer { inbox.starting = []; inbox.cancelling = [] }
                return (inbox.starting, inbox.cancelling, inbox.retiring)
            }
            for exchange in starting { begin(exchange) }
            for exchange in cancelling { end(exchange) }
            if retiring && running.isEmpty { break }
            var stillRunning: Int32 = 0
            curl_multi_perform(multi, &stillRunning)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                var result = CURLE_OK
                guard let easy = pc_done_handle(message, &result), let exchange = running[easy] else { continue }
                end(exchange)
                complete(exchange, result)
            }
            var ready: Int32 = 0
            curl_multi_poll(multi, nil, 0, 1000, &ready)
        }
        curl_multi_cleanup(multi)
    }

    private func begin(_ exchange: CurlExchange) {
        guard exchange.transfer.isOpen, let easy = curl_easy_init() else {
            exchange.transfer.fail(HTTPError.connection("libcurl could not start a transfer"))
            return
        }
        let request = exchange.request
        var list: UnsafeMutablePointer<curl_slist>?
        for field in request.headers { list = curl_slist_append(list, "\(field.name): \(field.value)") }
        // No "Expect: 100-continue" round trip before a large body.
        list = curl_slist_append(list, "Expect:")
        exchange.headerList = list
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        let code = (request.body ?? Data()).withUnsafeBytes { body in
            pc_easy_setup(
                easy, request.method, request.url.absoluteString, list,
                body.baseAddress?.assumingMemoryBound(to: CChar.self),  // nil for none or empty: the same to libcurl
                body.count, Self.onBody, Self.onHeader, context, exchange.errorBuffer)
        }
        guard code == CURLE_OK, curl_multi_add_handle(multi, easy) == CURLM_OK else {
            curl_easy_cleanup(easy)
            exchange.transfer.fail(HTTPError.connection("libcurl refused the request: \(String(cString: curl_easy_strerror(code)))"))
            return
        }
        exchange.easy = easy
        running[easy] = exchange
    }

    /// Takes the exchange's transfer off libcurl (closing its connection if it was mid-way).
    private func end(_ exchange: CurlExchange) {
        guard let easy = exchange.easy, running.removeValue(forKey: easy) != nil else { return }
        curl_multi_remove_handle(multi, easy)
        curl_easy_cleanup(easy)
        exchange.easy = nil
    }

    private func complete(_ exchange: CurlExchange, _ result: CURLcode) {
        guard result == CURLE_OK else {
            let detail = exchange.errorBuffer.pointee == 0
                ? String(cString: curl_easy_strerror(result)) : String(cString: exchange.errorBuffer)
            exchange.transfer.fail(HTTPError.connection("\(detail) (curl \(result.rawValue))"))
            return
        }
        exchange.sendHead()
        exchange.transfer.finish()
    }
}
