public import struct Foundation.Date

/// The rolling summary of a conversation: what its turns said once they no longer fit the
/// model's context, written by a backend in the background and placed after the system prompt.
public struct ConversationSummary: Sendable, Hashable {
    public var text: String
    /// Everyone whose lines (or the bot's answers to them) the summary was made from: a
    /// forget-me of any of them, or a redaction of a line it covers, throws it away for rebuilding.
    public var users: Set<UserID>
    /// The time of the newest transcript entry folded in; entries up to it are in the summary.
    public var through: Date

    public init(text: String, users: Set<UserID>, through: Date) {
        self.text = text
        self.users = users
        self.through = through
    }

    /// The summary as the system prompt carries it.
    func appended(to systemPrompt: String) -> String {
        systemPrompt + "\n\nWhat was said earlier in this conversation, summarised:\n" + text
    }
}

/// A note a person asked the bot to keep about them (`!remember`), given to the model in their
/// conversations on the same network.
public struct PersonNote: Sendable, Hashable {
    public var text: String
    public var time: Date

    public init(text: String, time: Date = Date()) {
        self.text = text
        self.time = time
    }

    /// The notes as the system prompt carries them.
    static func appended(_ notes: [PersonNote], about name: String, to systemPrompt: String) -> String {
        guard !notes.isEmpty else { return systemPrompt }
        return systemPrompt + "\n\n\(name) asked you to remember:\n" + notes.map { "- " + $0.text }.joined(separator: "\n")
    }
}
