/// Refuses requests longer than a limit, with a word to the sender.
public struct InputLengthHook: ModerationHook {
    public let name = "max_input_chars"
    public let maxCharacters: Int

    public init(maxCharacters: Int) {
        self.maxCharacters = maxCharacters
    }

    public func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict {
        guard review.isRequest else { return .allow }
        let count = message.body.count
        guard count > maxCharacters else { return .allow }
        return .respond(
            "That message is too long for me (\(count) characters; the limit is \(maxCharacters)).",
            reason: "input of \(count) characters exceeds \(maxCharacters)")
    }
}
