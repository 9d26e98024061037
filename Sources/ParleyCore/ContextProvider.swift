import Foundation

/// Adds text to the prompt of one generation: facts a plugin knows, the channel's topic, the
/// state of a ticket. The text joins the system prompt for that reply only, and is counted in
/// the token budget with it.
public protocol ContextProvider: Sendable {
    /// A short name for logs.
    var name: String { get }

    /// Text for the prompt that answers `message`, or nil for none. Called once per reply, before
    /// generation; a provider bounds its own time (a plugin's call timeout).
    func context(for message: InboundMessage) async -> String?
}

/// The providers a bot consults, in order, and the rule that keeps them small.
struct PromptContext: Sendable {
    let providers: [any ContextProvider]
    /// The most one provider may add, in characters: a provider cannot crowd the conversation
    /// out of the budget.
    static let maxCharacters = 2000

    /// `systemPrompt` with every provider's text after it.
    func systemPrompt(_ systemPrompt: String, for message: InboundMessage) async -> String {
        var parts = [systemPrompt]
        for provider in providers {
            guard let text = await provider.context(for: message)?.trimmingCharacters(in: .whitespacesAndNewlines),
                  !text.isEmpty else { continue }
            parts.append(String(text.prefix(Self.maxCharacters)))
        }
        return parts.joined(separator: "\n\n")
    }
}
