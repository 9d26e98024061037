import ParleyCore
import Foundation
import ParleyBackends
import ParleyHTTP

/// Reads an `openai` backend: an OpenAI-compatible Chat Completions API.
enum OpenAIBackendReader {
    static let keys = [
        "type", "base_url", "api_key", "api_key_file", "model", "organization", "headers", "context", "stream",
        "timeout_s", "idle_timeout_s", "retries",
    ]

    static func read(name: String, _ node: ConfigNode) throws -> BackendConfiguration {
        let map = try node.mapping(keys: keys)
        let urlNode = try map.required("base_url")
        let text = try urlNode.nonEmptyString()
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw urlNode.invalid("'\(text)' is not an http(s) URL; write the API root, e.g. https://api.openai.com/v1")
        }
        var headers = HTTPHeaders()
        if let headerNode = map["headers"] {
            for (header, value) in try headerNode.namedEntries() {
                guard HTTPHeaders.isToken(header) else {
                    throw value.invalid("'\(header)' is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)")
                }
                let text = try value.string()
                guard HTTPHeaders.isFieldValue(text) else { throw value.invalid("a header value cannot hold control characters (CR, LF, NUL…)") }
                headers[header] = text
            }
        }
        let context = try map["context"]?.int(in: 256...10_000_000) ?? 8192
        let configuration = OpenAICompatibleConfiguration(
            name: BackendName(name), baseURL: url, apiKey: try map.secret("api_key"), model: try map.required("model").nonEmptyString(),
            organization: try map["organization"]?.nonEmptyString(), headers: headers, contextWindow: context,
            streaming: try map["stream"]?.bool() ?? true,
            idleTimeout: .seconds(try map["idle_timeout_s"]?.int(in: 1...3600) ?? 60),
            totalTimeout: .seconds(try map["timeout_s"]?.int(in: 1...86_400) ?? 300),
            maxRetries: try map["retries"]?.int(in: 0...10) ?? 2)
        return BackendConfiguration(name: BackendName(name), kind: .openAI(configuration), contextWindow: context)
    }
}
