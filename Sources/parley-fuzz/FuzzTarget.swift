/// One thing the fuzzer feeds: a name for the command line and the corpus folder, and what it
/// does with one input. Every target runs the production code on hostile bytes and checks the
/// properties the project promises of it (no control characters onto the wire, the same result
/// whichever way the bytes are cut…); a crash, an out-of-bounds read (ASan) or a broken property
/// is a finding.
struct FuzzTarget: Sendable {
    var name: String
    var summary: String
    /// Called once before the first input (loads what the target needs, e.g. a vocabulary).
    var prepare: @Sendable () -> Void = {}
    var run: @Sendable ([UInt8]) -> Void

    static let all: [FuzzTarget] = [
        ircClient, ircReply, matrixSync, markdownHTML, openAIStream, gguf, config, tokenizerBPE, tokenizerSentencePiece,
        kernels,
    ]

    static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }
}
