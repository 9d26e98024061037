import Foundation
import ParleyBackends
import ParleyHTTP
import ParleyCore
@testable import ParleyDaemon
import Testing

@Suite struct OpenAIBackendReaderTests {
    static func backend(_ yaml: String, environment: [String: String] = [:]) throws -> BackendConfiguration {
        let text = "backends:\n  hosted: \(yaml)\nnetworks:\n  console: { type: console }\n"
        return try ConfigLoader.parse(text, file: "test.yaml", environment: environment).backends[0]
    }

    @Test func readsAnOpenAICompatibleBackend() throws {
        let backend = try Self.backend(
            "{ type: openai, base_url: \"https://api.example.com/v1\", api_key: \"${KEY}\", model: m1, headers: { X-Proxy: p }, context: 16000, stream: false, retries: 4 }",
            environment: ["KEY": "sk-1"])
        guard case .openAI(let api) = backend.kind else {
            Issue.record("not an openai backend")
            return
        }
        #expect(api.baseURL.absoluteString == "https://api.example.com/v1" && api.model == "m1" && api.apiKey == Secret("sk-1"))
        #expect(api.headers == ["X-Proxy": "p"] && api.contextWindow == 16000 && !api.streaming && api.maxRetries == 4)
        #expect(backend.contextWindow == 16000)
    }

    @Test func mistakesAreClearErrors() {
        func error(_ yaml: String) -> String {
            do { _ = try Self.backend(yaml); return "no error" } catch { return "\(error)" }
        }
        #expect(error("{ type: openai, base_url: \"ftp://x\", model: m }").contains("is not an http(s) URL"))
        #expect(error("{ type: openai, base_url: \"http://x/v1\" }").contains("model"))
        #expect(error("{ type: openai, base_url: \"http://x/v1\", model: m, modle: n }").contains("did you mean 'model'?"))
        #expect(error("{ type: openia, base_url: \"http://x/v1\", model: m }").contains("did you mean 'openai'?"))
        #expect(error("{ type: echo, base_url: \"http://x/v1\" }").contains("unknown key"))
    }
}
