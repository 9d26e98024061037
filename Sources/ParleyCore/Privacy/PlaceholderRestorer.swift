/// Puts back, in a streamed reply, what a mask's placeholders stand for. A placeholder may come
/// split over chunks (`[EMA`, `IL_1]`): text from a `[` that could still become one is held
/// until it is one or cannot be.
struct PlaceholderRestorer: Sendable {
    let originals: [String: String]
    private var held = ""

    init(originals: [String: String]) {
        self.originals = originals
    }

    /// The text that can be shown now.
    mutating func feed(_ text: String) -> String {
        guard !originals.isEmpty else { return text }
        let input = held + text
        held = ""
        var output = ""
        for character in input {
            if held.isEmpty {
                if character == "[" { held = "[" } else { output.append(character) }
                continue
            }
            held.append(character)
            if let original = originals[held] {
                output += original
                held = ""
            } else if !originals.keys.contains(where: { $0.hasPrefix(held) }) {
                // Not a placeholder: its `[` goes out, and the rest is read again (another `[`
                // in it may start one).
                let rest = held.dropFirst()
                held = ""
                output += "[" + feed(String(rest))
            }
        }
        return output
    }

    /// What is still held, at the end of the reply.
    mutating func finish() -> String {
        defer { held = "" }
        return held
    }
}
