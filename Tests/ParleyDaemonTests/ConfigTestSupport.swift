@testable import ParleyDaemon

/// The kind of the first network a config text configures.
func firstNetwork(of text: String, environment: [String: String]) throws -> NetworkConfiguration.Kind {
    try ConfigLoader.parse(text, file: "test.yaml", environment: environment).networks[0].kind
}

/// What reading a config throws, as the operator reads it; "no error" if it reads.
func errorText(_ read: () throws -> some Any) -> String {
    do {
        _ = try read()
        return "no error"
    } catch {
        return "\(error)"
    }
}

/// Thrown by a test that found another kind of network than it expected.
struct UnexpectedNetworkKind: Error {}
