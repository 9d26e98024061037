import ParleyCore

/// The IRC commands for the core's moderation actions.
enum IRCModeration {
    /// `kick`: KICK with the reason. `ban`: a ban on `*!*@host` (or the nick's mask when the host is
    /// unknown), then the kick. `quiet`: the `q` list mode (solanum, inspircd) on the same mask.
    /// `redact` has no IRC form (nothing is sent).
    static func commands(for action: ModerationAction, in channel: String) -> [IRCMessage] {
        let nick = action.target.displayName
        guard !nick.isEmpty, !nick.contains(" "), !nick.hasPrefix(":") else { return [] }
        let reason = String(action.reason.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\u{7F}" }.prefix(200))
        let mask = "\(nick)!*@*"
        switch action.kind {
        case .kick: return [IRCMessage("KICK", [channel, nick, reason])]
        case .ban: return [IRCMessage("MODE", [channel, "+b", mask]), IRCMessage("KICK", [channel, nick, reason])]
        case .quiet: return [IRCMessage("MODE", [channel, "+q", mask])]
        case .redact: return []
        }
    }
}
