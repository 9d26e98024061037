public import struct Foundation.Date

/// One line of a conversation's transcript.
public struct ContextEntry: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        case user, assistant
    }

    public var role: Role
    /// Who wrote it (nil for the bot).
    public var speaker: UserID?
    /// The name the transcript shows for the speaker.
    public var speakerName: String
    /// For the bot's replies: whom it answered, so that "forget me" removes the answers too.
    public var addressee: UserID?
    public var text: String
    public var time: Date
    /// The message this line is (a person's) or answers (the bot's), where the network names
    /// messages: an edit of it replaces the text, a redaction removes both.
    public var messageID: MessageID?

    public init(
        role: Role,
        speaker: UserID?,
        speakerName: String,
        addressee: UserID? = nil,
        text: String,
        time: Date = Date(),
        messageID: MessageID? = nil
    ) {
        self.role = role
        self.speaker = speaker
        self.speakerName = speakerName
        self.addressee = addressee
        self.text = text
        self.time = time
        self.messageID = messageID
    }

    /// Whether this entry concerns `user`: written by them, or the bot's answer to them.
    public func concerns(_ user: UserID) -> Bool {
        speaker == user || addressee == user
    }

    /// The entry as a chat turn; people's lines carry their name, since a channel has many people.
    var chatMessage: ChatMessage {
        switch role {
        case .user: ChatMessage(role: .user, content: "\(speakerName): \(text)")
        case .assistant: ChatMessage(role: .assistant, content: text)
        }
    }
}
