import ParleyCore
import Foundation
import ParleyHTTP
import ParleyTesting
import Testing

/// The shared HTTP layer against a scripted server: connection reuse, limits, timeouts on the
/// injected clock, cancellation.
@Suite struct CurlHTTPClientTests {
    static func request(_ server: ScriptedHTTPServer, _ path: String = "x", idle: Duration = .seconds(30), total: Duration = .seconds(60)) -> HTTPRequest {
        HTTPRequest(method: "GET", url: server.baseURL.appendingPathComponent(path), idleTimeout: idle, totalTimeout: total)
    }

    @Test func requestsToOneServerShareOneKeptAliveConnection() async throws {
        let server = try ScriptedHTTPServer([
            .respond(status: 200, pieces: [("one", .zero)], keepAlive: true),
            .respond(status: 200, pieces: [("two", .zero)], keepAlive: true),
            .respond(status: 200, pieces: [("three", .zero)], keepAlive: true),
        ])
        defer { server.stop() }
        let client = CurlHTTPClient()
        var bodies: [String] = []
        for _ in 0..<3 {
            let response = try await client.send(Self.request(server))
            bodies.append(String(decoding: response.body, as: UTF8.self))
        }
        #expect(bodies == ["one", "two", "three"])
        #expect(server.connections == 1)
    }

    @Test func methodsHeadersAndBodiesGoOutAsGiven() async throws {
        let server = try ScriptedHTTPServer([
            .respond(status: 200, pieces: [("a", .zero)], keepAlive: true),
            .respond(status: 204, pieces: [], keepAlive: true),
            .respond(status: 200, pieces: [("c", .zero)], keepAlive: true),
        ])
        defer { server.stop() }
        let client = CurlHTTPClient()
        let json = Data(#"{"body":"caf\u00e9 ☕"}"#.utf8)
        var put = HTTPRequest(method: "PUT", url: server.baseURL.appendingPathComponent("send/1"), body: json)
        put.headers["Content-Type"] = "application/json"
        put.headers["Authorization"] = "Bearer secret-token"
        #expect(try await client.send(put).body == Data("a".utf8))
        let empty = try await client.send(HTTPRequest(method: "POST", url: server.baseURL.appendingPathComponent("empty")))
        #expect(empty.status == 204 && empty.body.isEmpty)
        _ = try await client.send(HTTPRequest(method: "DELETE", url: server.baseURL.appendingPathComponent("gone")))
        let requests = server.requests
        try #require(requests.count == 3)
        #expect(requests[0].hasPrefix("PUT /v1/send/1 HTTP/1.1\r\n"))
        let head = requests[0].lowercased()
        #expect(head.contains("\r\ncontent-type: application/json\r\n") && head.contains("\r\nauthorization: bearer secret-token\r\n"))
        #expect(!head.contains("x-www-form-urlencoded"), "libcurl adds no content type of its own")
        #expect(requests[0].hasSuffix("\r\n\r\n" + String(decoding: json, as: UTF8.self)), "the body whole, after the head")
        #expect(!requests[0].lowercased().contains("expect:"), "no 100-continue round trip")
        #expect(requests[1].hasPrefix("POST /v1/empty HTTP/1.1\r\n") && requests[1].contains("Content-Length: 0\r\n"))
        #expect(requests[2].hasPrefix("DELETE /v1/gone HTTP/1.1\r\n"))
        #expect(server.connections == 1)
    }

    @Test func responseHeadersArriveNormalised() async throws {
        let server = try ScriptedHTTPServer([.respond(status: 429, headers: ["Retry-After": " 3 ", "X-Mixed-Case": "v"], pieces: [("{}", .zero)])])
        defer { server.stop() }
        let response = try await CurlHTTPClient().send(Self.request(server))
        #expect(response.status == 429)
        #expect(response.headers["x-mixed-case"] == "v")
        #expect(response.retryAfter() == .seconds(3))
    }

    @Test func anInjectedHeaderIsRefusedBeforeAnythingIsSent() async throws {
        let server = try ScriptedHTTPServer([])
        defer { server.stop() }
        var request = Self.request(server)
        request.headers["X-Proxy"] = "p\r\nX-Injected: yes"
        await #expect(throws: HTTPError.self) { try await CurlHTTPClient().send(request) }
        #expect(server.connections == 0)
    }

    @Test func aBodyOverTheLimitFailsTheExchange() async throws {
        let server = try ScriptedHTTPServer([.respond(status: 200, pieces: [(String(repeating: "x", count: 5000), .zero)])])
        defer { server.stop() }
        await #expect(throws: HTTPError.bodyTooLarge(limit: 1000)) { try await CurlHTTPClient().send(Self.request(server), maxBodyBytes: 1000) }
    }

    @Test func aStalledResponseFailsAtItsIdleLimitOnTheInjectedClock() async throws {
        let server = try ScriptedHTTPServer([.stall(status: 200, pieces: ["partial"])])
        defer { server.stop() }
        let clock = TestClock()
        let client = CurlHTTPClient(clock: clock)
        let bodies = Locked(0)
        let outcome = Task { () -> (any Error)? in
            do {
                for try await event in client.stream(Self.request(server, idle: .seconds(10), total: .seconds(100))) {
                    if case .body = event { bodies.withLock { $0 += 1 } }
                }
                return nil
            } catch { return error }
        }
        // The piece arrives, then silence: nine seconds of it are not enough, eleven are.
        _ = try await eventually("the first piece") { bodies.withLock { $0 } > 0 ? true : nil }
        _ = try await eventually("the watchdog to wait") { clock.sleepers > 0 ? true : nil }
        clock.advance(by: .seconds(9))
        #expect(clock.sleepers > 0)
        clock.advance(by: .seconds(2))
        #expect(await outcome.value as? HTTPError == .idleTimeout(.seconds(10)))
    }

    @Test func aTrickleThatNeverStopsFailsAtTheTotalLimit() async throws {
        // Far more pieces than the limit needs (67 reads), so that a slow reader (a sanitizer
        // build), which gets several pieces in one read, still reaches the limit before the end.
        let pieces = (0..<4000).map { ("data: \($0)\n", Duration.milliseconds(20)) }
        let server = try ScriptedHTTPServer([.respond(status: 200, pieces: pieces)])
        defer { server.stop() }
        let clock = TestClock()
        let client = CurlHTTPClient(clock: clock)
        var received = 0
        var failure: (any Error)?
        do {
            for try await event in client.stream(Self.request(server, idle: .seconds(5), total: .seconds(20))) {
                guard case .body = event else { continue }
                received += 1
                // Pieces keep coming, so only the total limit can end this. (Small steps: the
                // clock moves as pieces are read, and pieces that arrived together count as
                // activity once.)
                clock.advance(by: .milliseconds(300))
            }
        } catch { failure = error }
        // The server ends the response normally after its last piece, so only the limit can have
        // ended it with this error. (How many pieces the reader saw first is not a measure: on a
        // loaded machine they pile up in the stream's buffer, and a buffer is read out before
        // the error that follows it.)
        #expect(failure as? HTTPError == .totalTimeout(.seconds(20)))
        #expect(received >= 60)
    }

    @Test func stoppingTheIterationClosesTheConnection() async throws {
        // Long enough (40 s) that the server is still writing when the client hangs up, however
        // loaded the machine: tiny pieces fit in the socket buffers, so only a closed socket fails.
        let pieces = (0..<2000).map { ("piece \($0)\n", Duration.milliseconds(20)) }
        let server = try ScriptedHTTPServer([.respond(status: 200, pieces: pieces)])
        defer { server.stop() }
        var received = 0
        for try await event in CurlHTTPClient().stream(Self.request(server)) {
            if case .body = event { received += 1 }
            if received == 3 { break }
        }
        _ = try await eventually("the server to see the hang-up", timeout: .seconds(30)) { server.clientHungUp ? true : nil }
    }

    @Test func aRefusedConnectionIsATransientError() async throws {
        // Port 9 (discard) on the loopback: nothing listens there. (Not a port a test server
        // just released: a server another test starts may be given it at once.)
        let url = URL(string: "http://127.0.0.1:9/v1")!
        do {
            _ = try await CurlHTTPClient().send(HTTPRequest(method: "GET", url: url, idleTimeout: .seconds(10)))
            Issue.record("a closed port answered")
        } catch let error as HTTPError {
            guard case .connection = error else { Issue.record("\(error)"); return }
            #expect(error.isTransient)
        }
    }

    @Test func onlyHTTPAndHTTPSWithAHostAreSent() async throws {
        for url in ["file:///etc/passwd", "ftp://example.org/x", "http:///nohost"] {
            await #expect(throws: HTTPError.unsupportedURL(url)) {
                try await CurlHTTPClient().send(HTTPRequest(method: "GET", url: URL(string: url)!))
            }
        }
    }
}
