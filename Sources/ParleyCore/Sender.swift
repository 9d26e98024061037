/// Who wrote an inbound message.
///
/// Permissions are decided on `account`, the identity the network authenticated
/// (an IRC services account, a Matrix user id), never on `displayName`, which anyone may take.
public struct Sender: Hashable, Sendable {
    public var id: UserID
    /// The nick or display name people see; used to attribute lines in the transcript.
    public var displayName: String
    /// The authenticated account, or nil when the network vouches for nothing.
    public var account: String?
    /// Whether the sender holds operator rights in the channel.
    public var isOperator: Bool
    /// Whether the network marks the sender as a bot (IRCv3 `bot` tag, a Matrix notice).
    public var isBot: Bool
    /// Whether this is Parley itself (an echoed message).
    public var isSelf: Bool

    public init(
        id: UserID,
        displayName: String,
        account: String? = nil,
        isOperator: Bool = false,
        isBot: Bool = false,
        isSelf: Bool = false
    ) {
        self.id = id
        self.displayName = displayName
        self.account = account
        self.isOperator = isOperator
        self.isBot = isBot
        self.isSelf = isSelf
    }
}
