import Foundation
import Logging
@testable import ParleyMatrix
import ParleyCore
import ParleyHTTP
import Testing

/// A transport that answers from a script and records what it was sent.
final class ScriptedTransport: MatrixTransport {
    private let script: Locked<[Result<HTTPResponse, any Error>]>
    private let sent = Locked<[(request: MatrixHTTPRequest, token: Secret?)]>([])

    init(_ script: [Result<HTTPResponse, any Error>]) {
        self.script = Locked(script)
    }

    func perform(_ request: MatrixHTTPRequest, accessToken: Secret?) async throws -> HTTPResponse {
        sent.withLock { $0.append((request, accessToken)) }
        let next = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let next else { return HTTPResponse(status: 500, body: Data()) }
        return try next.get()
    }

    var requests: [MatrixHTTPRequest] { sent.withLock { $0.map(\.request) } }
    var tokens: [Secret?] { sent.withLock { $0.map(\.token) } }

    static func json(_ status: Int, _ body: String, headers: HTTPHeaders = [:]) -> Result<HTTPResponse, any Error> {
        .success(HTTPResponse(status: status, headers: headers, body: Data(body.utf8)))
    }
}

@Suite struct MatrixClientTests {
    final class Waits: Sendable {
        let recorded = Locked<[Duration]>([])
        var sleep: @Sendable (Duration) async throws -> Void {
            { [self] duration in recorded.withLock { $0.append(duration) } }
        }
        var all: [Duration] { recorded.withLock { $0 } }
    }

    func client(_ transport: ScriptedTransport, waits: Waits) -> MatrixClient {
        var client = MatrixClient(transport: transport, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        client.accessToken = Secret("syt_secret_token")
        client.sleep = waits.sleep
        return client
    }

    static let content: JSONValue = .object(["msgtype": .string("m.notice"), "body": .string("hi")])

    @Test func honoursRetryAfterMillisecondsOnA429AndSendsTheSameTransactionAgain() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.json(429, #"{"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":1234}"#,
                                   headers: ["retry-after": "2"]),
            ScriptedTransport.json(200, #"{"event_id":"$posted"}"#),
        ])
        let waits = Waits()
        let posted = try await client(transport, waits: waits).send(Self.content, to: "!room:x", transactionID: "txn-1")
        #expect(posted == "$posted")
        #expect(waits.all == [.milliseconds(1234)], "the body's retry_after_ms wins over the header")
        #expect(transport.requests.count == 2)
        #expect(transport.requests[0] == transport.requests[1], "a retry is the same request, transaction id included")
        #expect(transport.requests[0].path == "/_matrix/client/v3/rooms/%21room%3Ax/send/m.room.message/txn-1")
    }

    @Test func fallsBackToTheRetryAfterHeaderInSeconds() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.json(429, #"{"errcode":"M_LIMIT_EXCEEDED"}"#, headers: ["retry-after": "3"]),
            ScriptedTransport.json(200, #"{"event_id":"$posted"}"#),
        ])
        let waits = Waits()
        _ = try await client(transport, waits: waits).send(Self.content, to: "!r", transactionID: "t")
        #expect(waits.all == [.seconds(3)])
    }

    @Test func retriesServerErrorsAndLostConnectionsWithGrowingBackoffOnTheSameTransaction() async throws {
        struct Reset: Error {}
        let transport = ScriptedTransport([
            ScriptedTransport.json(502, "<html>Bad Gateway</html>"),
            .failure(Reset()),
            ScriptedTransport.json(503, #"{"errcode":"M_UNKNOWN","error":"overloaded"}"#),
            ScriptedTransport.json(200, #"{"event_id":"$posted"}"#),
        ])
        let waits = Waits()
        let posted = try await client(transport, waits: waits).send(Self.content, to: "!r", transactionID: "same")
        #expect(posted == "$posted")
        #expect(Set(transport.requests.map(\.path)).count == 1)
        #expect(waits.all.count == 3)
        for (index, wait) in waits.all.enumerated() {
            let ceiling = Duration.milliseconds(500) * (1 << index)
            #expect(wait >= ceiling / 2 && wait <= ceiling, "attempt \(index + 1) waits within [half, all] of \(ceiling)")
        }
    }

    @Test func failsAtOnceOnAClientErrorWithTheHomeserversWordsAndAdvice() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.json(401, #"{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed."}"#)
        ])
        let waits = Waits()
        let error = try await #require(throws: MatrixError.self) { try await client(transport, waits: waits).whoami() }
        #expect(error.code == "M_UNKNOWN_TOKEN")
        #expect("\(error)".contains("Invalid access token passed."))
        #expect("\(error)".contains("access_token"))
        #expect(!"\(error)".contains("syt_secret_token"))
        #expect(waits.all.isEmpty)
        #expect(transport.requests.count == 1)
    }

    @Test func givesUpAfterItsAttemptsAndSaysSo() async throws {
        let transport = ScriptedTransport(Array(repeating: ScriptedTransport.json(500, "{}"), count: 10))
        let waits = Waits()
        var client = client(transport, waits: waits)
        client.retry.attempts = 3
        let error = try await #require(throws: MatrixError.self) {
            try await client.send(Self.content, to: "!r", transactionID: "t")
        }
        guard case .gaveUp(_, let attempts, _) = error else { Issue.record("\(error)"); return }
        #expect(attempts == 3 && transport.requests.count == 3)
    }

    @Test func aHostileRetryAfterIsCappedAtAnHour() {
        let response = HTTPResponse(status: 429, body: Data(#"{"retry_after_ms": 1e300}"#.utf8))
        #expect(MatrixClient.retryAfter(response) == .seconds(3600))
        let negative = HTTPResponse(status: 429, headers: ["retry-after": "-5"], body: Data("{}".utf8))
        #expect(MatrixClient.retryAfter(negative) == nil)
    }

    @Test func sendsTheAccessTokenOnlyWhereItBelongs() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.json(200, #"{"user_id":"@p:x","access_token":"new","device_id":"D"}"#),
            ScriptedTransport.json(200, #"{"user_id":"@p:x"}"#),
        ])
        let client = client(transport, waits: Waits())
        _ = try await client.login(user: "@p:x", password: Secret("pw"), deviceName: "Parley")
        _ = try await client.whoami()
        #expect(transport.tokens[0] == nil, "login carries no token")
        #expect(transport.tokens[1] == Secret("syt_secret_token"))
    }
}
