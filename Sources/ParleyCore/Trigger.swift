/// What makes the bot answer in a channel. A channel may combine several.
public struct TriggerSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Addressed by name (`parley: …`, `parley, …`) or mentioned (a Matrix mention, the name
    /// in the text).
    public static let mention = TriggerSet(rawValue: 1 << 0)
    /// The ask command (`!ask …`).
    public static let prefix = TriggerSet(rawValue: 1 << 1)
    /// Every message of a direct conversation.
    public static let direct = TriggerSet(rawValue: 1 << 2)
    /// Every message.
    public static let always = TriggerSet(rawValue: 1 << 3)
    /// Nothing: the bot stays silent (commands still work).
    public static let off: TriggerSet = []

    /// The names the config uses, in the order `parley config check` lists them.
    public static let names: [(String, TriggerSet)] = [
        ("mention", .mention), ("prefix", .prefix), ("direct", .direct), ("always", .always), ("off", .off),
    ]
}

/// The question a triggered message asks, or nil when the message does not trigger a reply.
///
/// - Parameters:
///   - askCommand: the text of the ask command, prefix included (`!ask`).
func triggeredPrompt(_ message: InboundMessage, triggers: TriggerSet, askCommand: String) -> String? {
    let body = message.body
    if triggers.contains(.prefix), let question = argument(of: askCommand, in: body) {
        return question
    }
    if triggers.contains(.always) { return body }
    if triggers.contains(.direct) && message.isDirect { return body }
    if triggers.contains(.mention) && message.addressing.isAddressedOrMentioned { return body }
    return nil
}

/// The text after `command` when `text` starts with it as a whole word.
func argument(of command: String, in text: String) -> String? {
    guard text.hasPrefix(command) else { return nil }
    let rest = text.dropFirst(command.count)
    guard rest.isEmpty || rest.first == " " else { return nil }
    return String(rest.drop(while: { $0 == " " }))
}
