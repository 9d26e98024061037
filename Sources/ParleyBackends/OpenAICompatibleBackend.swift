public import Foundation
public import Logging
public import ParleyCore
public import ParleyHTTP

/// Where and how to reach an OpenAI-compatible Chat Completions API (OpenAI, vLLM, the llama.cpp
/// server, Ollama's `/v1`, LM Studio…).
public struct OpenAICompatibleConfiguration: Sendable, Equatable {
    public var name: BackendName
    /// The API root, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended.
    public var baseURL: URL
    public var apiKey: Secret?
    public var model: String
    public var organization: String?
    /// Extra headers (a proxy's key, `OpenAI-Project`…).
    public var headers: HTTPHeaders
    public var contextWindow: Int
    /// Server-sent events as the reply is written (the default), or one JSON reply.
    public var streaming: Bool
    /// The longest silence, connecting included, before a request fails.
    public var idleTimeout: Duration
    /// The longest a whole reply may take.
    public var totalTimeout: Duration
    /// Retries after 429, 5xx or a failed connection, before any text arrived.
    public var maxRetries: Int
    /// The first retry's delay; it doubles, with jitter, unless the server says `Retry-After`.
    public var retryDelay: Duration

    public init(
        name: BackendName, baseURL: URL, apiKey: Secret? = nil, model: String, organization: String? = nil,
        headers: HTTPHeaders = [:], contextWindow: Int = 8192, streaming: Bool = true,
        idleTimeout: Duration = .seconds(60), totalTimeout: Duration = .seconds(300),
        maxRetries: Int = 2, retryDelay: Duration = .seconds(1)
    ) {
        self.name = name
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.organization = organization
        self.headers = headers
        self.contextWindow = contextWindow
        self.streaming = streaming
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
        self.maxRetries = maxRetries
        self.retryDelay = retryDelay
    }
}

/// A generation backend over an OpenAI-compatible HTTP API: the conversation as Chat Completions
/// messages, the reply streamed by server-sent events; retried with backoff and jitter on 429
/// (honouring `Retry-After`), 5xx and connection failures while no text has arrived; cancelling
/// the stream cancels the HTTP transfer. Failures reach the channel as one short sentence
/// (`GenerationError`); the details, never the key, go to the log.
public struct OpenAICompatibleBackend: GenerationBackend {
    public let configuration: OpenAICompatibleConfiguration
    private let logger: Logger
    private let http: any HTTPClient

    /// Time for the waits between retries (tests drive it).
    let clock: any MonotonicClock
    /// What the server's usage reports taught, shared by the copies of this backend.
    private let calibration = CalibrationBox()

    /// - Parameter http: the HTTP layer, shared with every other user of the same server so
    ///   its connections are reused; by default one of the backend's own.
    public init(
        configuration: OpenAICompatibleConfiguration, logger: Logger, http: (any HTTPClient)? = nil,
        clock: any MonotonicClock = SystemMonotonicClock()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.http = http ?? CurlHTTPClient(clock: clock)
        self.clock = clock
    }

    public var name: BackendName { configuration.name }
    public var contextWindow: Int { configuration.contextWindow }

    /// The documented estimate (`TokenEstimate`): the server's tokenizer is not at hand.
    public func tokenCount(of message: ChatMessage) -> Int { TokenEstimate.tokens(in: message) }

    /// Learnt from the server's usage reports: how many tokens it counts per estimated one.
    public var countScale: Double { calibration.state.withLock { $0.scale } }

    /// Compares what the server counted with the estimate, and says what it finds once.
    func calibrate(estimated: Int, reported: Int) {
        let finding = calibration.state.withLock { $0.observe(estimated: estimated, reported: reported) }
        logger.debug("the server counted the prompt", metadata: [
            "gen.backend": "\(name)", "gen.estimated": "\(estimated)", "gen.reported": "\(reported)"])
        switch finding {
        case .truncated(let reported, let estimated):
            logger.warning(
                "the server counted \(reported) prompt tokens for a prompt estimated at \(estimated): it seems to cut prompts to a smaller context than context_window (\(contextWindow)) says. Ollama's /v1 does, at its own context size: raise it (OLLAMA_CONTEXT_LENGTH, or num_ctx in a Modelfile) to at least \(contextWindow), or lower this backend's context_window to what the server holds",
                metadata: ["gen.backend": "\(name)"])
        case .underestimated(let scale):
            logger.notice(
                "the server counts more tokens than Parley estimated; prompts are made smaller to fit", metadata: [
                    "gen.backend": "\(name)", "gen.scale": "\(String(format: "%.2f", scale))"])
        case nil:
            break
        }
    }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error> {
        let backend = self
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await backend.run(request) { continuation.yield($0) }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch let error as GenerationError {
                    backend.logger.warning("generation failed", metadata: ["gen.backend": "\(backend.name)", "gen.error": "\(error)"])
                    continuation.finish(throwing: error)
                } catch {
                    let failure = GenerationError.backendFailed(backend: backend.name, detail: "\(error)")
                    backend.logger.warning("generation failed", metadata: ["gen.backend": "\(backend.name)", "gen.error": "\(failure)"])
                    continuation.finish(throwing: failure)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: - One generation

    /// Sends the request, retrying while nothing has been yielded, and yields the reply.
    func run(_ request: GenerationRequest, yield: (GenerationChunk) -> Void) async throws {
        let body = try JSONEncoder().encode(wireRequest(request))
        let estimated = request.messages.map(tokenCount(of:)).reduce(0, +)
        var attempt = 0
        while true {
            attempt += 1
            var yielded = false
            do {
                let reported = try await attemptOnce(body) { chunk in
                    if !chunk.text.isEmpty { yielded = true }
                    yield(chunk)
                }
                if let reported { calibrate(estimated: estimated, reported: reported) }
                return
            } catch let failure as AttemptFailure {
                guard failure.retryable, !yielded, attempt <= configuration.maxRetries else {
                    throw GenerationError.backendFailed(backend: name, detail: failure.detail)
                }
                let delay = failure.retryAfter ?? backoff(attempt: attempt)
                logger.info("retrying", metadata: ["gen.backend": "\(name)", "gen.reason": "\(failure.detail)", "gen.delay": "\(delay)"])
                try await clock.sleep(for: delay)
            }
        }
    }

    private func backoff(attempt: Int) -> Duration {
        Backoff(base: configuration.retryDelay, cap: configuration.retryDelay * 1024).delay(after: attempt)
    }

    /// Why one attempt failed, and whether another may help.
    struct AttemptFailure: Error {
        var detail: String
        var retryable: Bool
        var retryAfter: Duration?
    }

    /// One request; returns the prompt tokens the server reported, if it did.
    private func attemptOnce(_ body: Data, yield: (GenerationChunk) -> Void) async throws -> Int? {
        var parser = ServerSentEvents()
        var reported: Int?
        var status = 0
        var headers = HTTPHeaders()
        var errorBody = Data()
        var whole = Data()
        var finished = false
        do {
            for try await event in http.stream(httpRequest(body)) {
                try Task.checkCancellation()
                switch event {
                case .head(let code, let fields):
                    status = code
                    headers = fields
                case .body(let data) where status != 200:
                    if errorBody.count < 65_536 { errorBody.append(data) }
                case .body(let data) where !configuration.streaming:
                    whole.append(data)
                    guard whole.count <= 16 << 20 else { throw AttemptFailure(detail: "the reply is over 16 MiB", retryable: false) }
                case .body(let data):
                    for sse in try parser.append(data) {
                        if finished {
                            // After the reply, only the usage report is read.
                            reported = Self.usage(in: sse) ?? reported
                        } else {
                            finished = try handle(sse, reported: &reported, yield: yield)
                        }
                    }
                }
            }
        } catch let error as AttemptFailure {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as ServerSentEvents.LineTooLong {
            throw AttemptFailure(detail: "the server sent a line over 1 MiB (\(error))", retryable: false)
        } catch let error as HTTPError {
            throw AttemptFailure(detail: "the request failed: \(error)", retryable: error.isTransient)
        }
        if Task.isCancelled { throw CancellationError() }
        guard status == 200 else {
            let failure = statusFailure(status, headers: headers, body: errorBody)
            // The key or the account: asking again, now or soon, cannot help.
            if status == 401 || status == 403 { throw GenerationError.backendRefused(backend: name, detail: failure.detail) }
            throw failure
        }
        if !configuration.streaming {
            guard let completion = try? JSONDecoder().decode(OpenAIWire.Completion.self, from: whole),
                  let choice = completion.choices.first else {
                throw AttemptFailure(detail: "the reply is not a chat completion: \(Self.excerpt(whole))", retryable: false)
            }
            yield(GenerationChunk(text: choice.message.content ?? "", finishReason: OpenAIWire.finishReason(choice.finishReason ?? "stop")))
            return completion.usage?.promptTokens
        }
        if !finished {
            // The stream ended without [DONE] or a finish reason: cut off mid-reply.
            throw AttemptFailure(detail: "the reply stream ended before the reply did", retryable: true)
        }
        return reported
    }

    /// The prompt tokens an event after the reply reports (`usage.prompt_tokens`), if it does.
    private static func usage(in event: ServerSentEvents.Event) -> Int? {
        guard event.data.contains("usage") else { return nil }
        return (try? JSONDecoder().decode(OpenAIWire.Chunk.self, from: Data(event.data.utf8)))?.usage?.promptTokens
    }

    /// One server-sent event; true once the reply is complete. A usage report in it (some
    /// servers put it in the last chunk of the reply) goes to `reported`.
    private func handle(
        _ event: ServerSentEvents.Event, reported: inout Int?, yield: (GenerationChunk) -> Void
    ) throws -> Bool {
        if event.data == "[DONE]" {
            yield(GenerationChunk(text: "", finishReason: .stop))
            return true
        }
        guard let chunk = try? JSONDecoder().decode(OpenAIWire.Chunk.self, from: Data(event.data.utf8)) else {
            if let failure = try? JSONDecoder().decode(OpenAIWire.ErrorBody.self, from: Data(event.data.utf8)), let message = failure.error?.message {
                throw AttemptFailure(detail: "the server reported: \(Self.excerpt(Data(message.utf8)))", retryable: false)
            }
            logger.warning("skipped a malformed event from the server", metadata: ["gen.backend": "\(name)", "gen.event": "\(Self.excerpt(Data(event.data.utf8)))"])
            return false
        }
        if let tokens = chunk.usage?.promptTokens { reported = tokens }
        guard let choice = chunk.choices.first else { return false }
        if let text = choice.delta?.content, !text.isEmpty { yield(GenerationChunk(text: text)) }
        if let reason = choice.finishReason {
            yield(GenerationChunk(text: "", finishReason: OpenAIWire.finishReason(reason)))
            return true
        }
        return false
    }

    private func statusFailure(_ status: Int, headers: HTTPHeaders, body: Data) -> AttemptFailure {
        let message = (try? JSONDecoder().decode(OpenAIWire.ErrorBody.self, from: body))?.error?.message.map { Self.excerpt(Data($0.utf8)) }
            ?? Self.excerpt(body)
        let detail = "HTTP \(status)" + (message.isEmpty ? "" : ": \(message)")
        let retryable = status == 429 || status == 408 || (500...599).contains(status)
        let retryAfter = HTTPResponse(status: status, headers: headers, body: body).retryAfter(cap: .seconds(60))
        return AttemptFailure(detail: detail, retryable: retryable, retryAfter: retryAfter)
    }

    /// A short, single-line excerpt of what a server sent, for logs and errors.
    static func excerpt(_ data: Data) -> String {
        let text = String(decoding: data.prefix(300), as: UTF8.self)
        return String(text.unicodeScalars.map { $0.value < 0x20 ? " " : Character($0) }).trimmingCharacters(in: .whitespaces)
    }

    // MARK: - The request

    func wireRequest(_ request: GenerationRequest) -> OpenAIWire.Request {
        let parameters = request.parameters
        return OpenAIWire.Request(
            model: parameters.model ?? configuration.model,
            messages: request.messages.map { .init(role: $0.role.rawValue, content: $0.content) },
            stream: configuration.streaming,
            maxTokens: parameters.maxTokens,
            temperature: parameters.temperature,
            topP: parameters.topP,
            stop: parameters.stop.isEmpty ? nil : Array(parameters.stop.prefix(4)),
            seed: parameters.seed,
            streamOptions: configuration.streaming ? .init() : nil)
    }

    /// `GET /models`: the server answers and takes the key.
    public func probe() async throws {
        var request = httpRequest(Data())
        request.method = "GET"
        request.body = nil
        request.url = configuration.baseURL.appendingPathComponent("models")
        request.idleTimeout = .seconds(5)
        request.totalTimeout = .seconds(5)
        let response = try await http.send(request, maxBodyBytes: 1 << 20)
        guard (200..<300).contains(response.status) else {
            let detail = "GET /models answered \(response.status)"
            if response.status == 401 || response.status == 403 { throw GenerationError.backendRefused(backend: name, detail: detail) }
            throw GenerationError.backendFailed(backend: name, detail: detail)
        }
    }

    func httpRequest(_ body: Data) -> HTTPRequest {
        var headers: HTTPHeaders = [
            "Content-Type": "application/json",
            "Accept": configuration.streaming ? "text/event-stream" : "application/json",
        ]
        if let key = configuration.apiKey { headers["Authorization"] = "Bearer \(key.value)" }
        if let organization = configuration.organization { headers["OpenAI-Organization"] = organization }
        for field in configuration.headers { headers[field.name] = field.value }
        return HTTPRequest(
            method: "POST", url: configuration.baseURL.appendingPathComponent("chat/completions"), headers: headers, body: body,
            idleTimeout: configuration.idleTimeout, totalTimeout: configuration.totalTimeout)
    }
}

/// The calibration's lock, shared by every copy of the backend value.
private final class CalibrationBox: Sendable {
    let state = Locked(PromptCalibration())
}
