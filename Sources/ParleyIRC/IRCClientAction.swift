public import struct Foundation.Date

/// What the IRC client state machine asks its owner (the connection) to do.
public enum IRCClientAction: Sendable, Equatable {
    /// Write this line. Urgent lines (registration, PONG, SASL, QUIT) go out at once; the
    /// others wait their turn in the flood-controlled queue.
    case send(IRCMessage, urgent: Bool)
    /// Answer a CTCP request from `nick` with this NOTICE, if the per-person limit and the
    /// queue of such answers allow, and never ahead of a reply to anyone (`CTCPReplies`).
    case ctcpReply(IRCMessage, to: String)
    /// Registration finished (001) under this nick.
    case registered(nick: String)
    /// The server now knows us by `nick` (a regained or refused-then-changed nick).
    case nickChanged(from: String, to: String)
    case joined(channel: String)
    /// Every configured channel has been joined (or refused the client): the connection is
    /// ready for the bot to speak in them.
    case ready
    case left(channel: String)
    /// Someone else joined or left (parted, was kicked, quit) a channel the client is in.
    case membership(channel: String, person: IRCPerson, joined: Bool)
    /// A PRIVMSG, NOTICE or CTCP ACTION from someone else.
    case message(IRCChatMessage)
    /// The server, over TLS, advertised a strict transport security policy for this long
    /// (0: remove the policy). Store it, so that no later connection uses plaintext.
    case stsPolicy(seconds: Int)
    /// Close this connection.
    case disconnect(IRCDisconnect)
}

/// A chat line someone sent, as the client understood it.
public struct IRCChatMessage: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case privmsg
        case notice
        /// CTCP ACTION (`/me`); `text` is the action without its framing.
        case action
    }

    public var source: IRCSource
    /// A channel, or the bot's own nick for a private message.
    public var target: String
    public var text: String
    public var kind: Kind
    /// The sender's services account, when the network vouches for one (account-tag, or what
    /// extended-join, account-notify and WHOX told the client).
    public var account: String?
    /// Who the sender is to the bot, stable for as long as the client sees them: their account
    /// (`account:NAME`) if they had one when first seen, else their folded nick; carried over a
    /// nick change, and kept when they identify to services later.
    public var identity: String
    /// The network marks the sender as a bot (IRCv3 `bot` tag).
    public var fromBot: Bool
    /// The sender holds operator rights (or higher) in the channel, as NAMES and MODE told.
    public var fromOperator: Bool
    /// `msgid`, when the server gives one.
    public var id: String?
    /// `server-time`, when the server gives it.
    public var time: Date?
    /// Whether `target` is a channel (else a private message to the bot).
    public var isChannel: Bool
}

/// Why a connection ends, and whether to try again.
public struct IRCDisconnect: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The server sent ERROR (a K-line or G-line reads "Closing Link … (K-Lined)").
        case serverError(String)
        case pingTimeout(seconds: Int)
        /// SASL failed and the config says to abort (904, 905, 906, a timeout, a forged signature).
        case saslFailed(String)
        /// Every nick was refused during registration.
        case noUsableNick
        /// The server password was refused (464).
        case passwordRefused
        /// A plaintext connection was told to use TLS on this port (IRCv3 STS): reconnect so at once.
        case stsUpgrade(port: Int)
    }

    public var reason: Reason
    /// Whether reconnecting could help (a wrong password will not fix itself, but the
    /// connector still retries slowly, since an operator may fix services meanwhile).
    public var retry: Bool

    /// A ban (K-line, G-line, Z-line): reconnect much later, if at all.
    public var isBan: Bool {
        guard case .serverError(let text) = reason else { return false }
        let lowered = text.lowercased()
        return ["k-lined", "g-lined", "z-lined", "banned", "k:lined", "(k-line)"].contains { lowered.contains($0) }
    }

    public var description: String {
        switch reason {
        case .serverError(let text): "the server closed the link: \(text)"
        case .pingTimeout(let seconds): "no reply from the server for \(seconds) s (ping timeout)"
        case .saslFailed(let detail): "SASL authentication failed: \(detail)"
        case .noUsableNick: "every configured nick was refused"
        case .passwordRefused: "the server password was refused (464)"
        case .stsUpgrade(let port): "the server requires TLS (STS); reconnecting on port \(port)"
        }
    }
}

/// Someone on the network, as the client knows them.
public struct IRCPerson: Sendable, Equatable {
    public var nick: String
    /// Their services account, when the network vouches for one.
    public var account: String?
    /// What the connector calls them (stable across nick changes and identifying).
    public var identity: String

    public init(nick: String, account: String?, identity: String) {
        self.nick = nick
        self.account = account
        self.identity = identity
    }
}
