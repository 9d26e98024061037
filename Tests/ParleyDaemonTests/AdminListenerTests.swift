import Foundation
import Logging
import ParleyCore
@testable import ParleyDaemon
import ParleyHTTP
import ParleyTesting
import Prometheus
import Testing

@Suite struct RoleListenerTests {
    /// A listener on a free port over `tester`'s bot, running until the test ends.
    final class Running: Sendable {
        let port: UInt16
        let task: Task<Void, any Error>

        init(tester: BotTester, token: String?, backends: [any GenerationBackend] = []) async throws {
            var port: UInt16 = 0
            var task: Task<Void, any Error>?
            for _ in 0..<5 {
                port = unusedLocalPort()
                let listener = RoleListener(
                    configuration: AdminHTTPConfiguration(host: "127.0.0.1", port: port, token: token.map(Secret.init)),
                    bot: tester.bot, plugins: { [] }, registry: PrometheusExport.shared,
                    logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), probeInterval: .zero)
                let started = Task { try await listener.run() }
                let up: Bool? = try? await eventually("the listener", timeout: .seconds(5)) {
                    (try? await RoleListenerTests.get(port, "/health", token: nil)) != nil ? true : nil
                }
                if up == true {
                    task = started
                    break
                }
                started.cancel()
            }
            self.port = port
            self.task = try #require(task)
        }

        deinit { task.cancel() }
    }

    static func get(_ port: UInt16, _ path: String, token: String?) async throws -> (status: Int, body: String) {
        var headers: HTTPHeaders = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let response = try await CurlHTTPClient().send(HTTPRequest(
            method: "GET", url: URL(string: "http://127.0.0.1:\(port)\(path)")!, headers: headers, idleTimeout: .seconds(5), totalTimeout: .seconds(5)))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test func everyRouteButHealthAsksForTheToken() async throws {
        let tester = BotTester(backends: [ScriptedBackend(replying: "ok")])
        let listener = try await Running(tester: tester, token: "s3cret")
        for path in ["/ready", "/metrics", "/status"] {
            #expect(try await Self.get(listener.port, path, token: nil).status == 401, "\(path)")
            #expect(try await Self.get(listener.port, path, token: "s3cre").status == 401, "\(path)")
            #expect(try await Self.get(listener.port, path, token: "s3cret").status != 401, "\(path)")
        }
        #expect(try await Self.get(listener.port, "/health", token: nil).status == 200)
        await tester.stop()
    }

    @Test func readyFollowsTheNetworksAndSaysWhichIsDown() async throws {
        let tester = BotTester(backends: [ScriptedBackend(replying: "ok")])
        let listener = try await Running(tester: tester, token: nil)
        _ = try await eventually("ready") { try await Self.get(listener.port, "/ready", token: nil).status == 200 ? true : nil }
        tester.connector.report(.state("test", .connecting))
        let connecting = try await eventually("connecting") { () -> String? in
            let answer = try await Self.get(listener.port, "/ready", token: nil)
            return answer.status == 503 ? answer.body : nil
        }
        #expect(connecting.contains(#""test":{"ready":false,"state":"connecting"}"#), "\(connecting)")
        tester.connector.report(.state("test", .up))
        _ = try await eventually("ready again") { try await Self.get(listener.port, "/ready", token: nil).status == 200 ? true : nil }
        tester.connector.report(.state("test", .reconnecting(reason: "the server closed the link")))
        let down = try await eventually("not ready") { () -> String? in
            let answer = try await Self.get(listener.port, "/ready", token: nil)
            return answer.status == 503 ? answer.body : nil
        }
        #expect(down.contains("reconnecting (the server closed the link)"))
        await tester.stop()
    }

    @Test func anUnreachableBackendMakesItNotReady() async throws {
        let dead = OpenAICompatibleBackendProbeStub()
        let tester = BotTester(backends: [ScriptedBackend(replying: "ok"), dead])
        tester.connector.report(.state("test", .up))
        let listener = try await Running(tester: tester, token: nil)
        let answer = try await eventually("an answer about the network") { () -> (status: Int, body: String)? in
            let answer = try await Self.get(listener.port, "/ready", token: nil)
            return answer.body.contains(#""test":{"ready":true"#) ? answer : nil
        }
        #expect(answer.status == 503)
        #expect(answer.body.contains(#""down":{"error":"the model server refused the connection","ready":false}"#), "\(answer.body)")
        #expect(answer.body.contains(#""scripted":{"ready":true}"#))
        await tester.stop()
    }

    @Test func metricsCarryHelpAndTypeForEveryParleyMetricReported() async throws {
        let tester = BotTester(backends: [ScriptedBackend(replying: "ok")])
        let listener = try await Running(tester: tester, token: nil)
        _ = try await tester.reply(to: "parley: hello")
        let metrics = try await Self.get(listener.port, "/metrics", token: nil).body
        for metric in [ParleyMetric.messagesReceived, .replies, .replyLatency, .timeToFirstToken] {
            #expect(metrics.contains("# HELP \(metric.rawValue) \(metric.help)"), "\(metric)")
        }
        #expect(metrics.contains("# TYPE parley_reply_latency_seconds histogram"))
        #expect(metrics.contains(#"parley_replies_total{network="test"}"#))
        let status = try await Self.get(listener.port, "/status", token: nil)
        let decoded = try JSONDecoder().decode(AdminStatus.self, from: Data(status.body.utf8))
        #expect(decoded.bot.backends == ["scripted"] && decoded.bot.conversationCount == 1)
        await tester.stop()
    }
}

/// A backend whose server cannot be reached.
struct OpenAICompatibleBackendProbeStub: GenerationBackend {
    let name: BackendName = "down"
    let contextWindow = 1000
    func tokenCount(of message: ChatMessage) -> Int { 1 }
    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationChunk, any Error> {
        AsyncThrowingStream { $0.finish(throwing: GenerationError.backendFailed(backend: name, detail: "down")) }
    }
    func probe() async throws { throw ProbeFailure() }

    struct ProbeFailure: Error, CustomStringConvertible {
        var description: String { "the model server refused the connection" }
    }
}
