/// Who holds which role, by authenticated account (IRC services account, Matrix user id) on one
/// network, everywhere on it or in one channel. A nick is never enough.
///
/// - admins run every admin command (in their channel only, when the entry names one);
/// - operators run a channel's own admin commands (`!config`, `!pause`, `!resume`) in theirs;
/// - staff are the people a helpdesk hands conversations to.
public struct RoleList: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
        case admin
        case `operator`
        case staff

        public static func < (a: Role, b: Role) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public struct Entry: Sendable, Hashable {
        public var network: NetworkID
        /// The services account (IRC) or user id (Matrix), compared case-insensitively.
        public var account: String
        public var role: Role
        /// The channel the role holds in (compared case-insensitively); nil: the whole network.
        public var channel: String?

        public init(network: NetworkID, account: String, role: Role = .admin, channel: String? = nil) {
            self.network = network
            self.account = account
            self.role = role
            self.channel = channel
        }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry] = []) {
        self.entries = entries
    }

    /// Whether `sender` is an admin of the whole `network`.
    public func contains(_ sender: Sender, on network: NetworkID) -> Bool {
        matching(sender, on: network).contains { $0.role == .admin && $0.channel == nil }
    }

    /// The roles `sender` holds in `channel`: network-wide ones and the channel's own.
    public func roles(of sender: Sender, in channel: ChannelKey) -> Set<Role> {
        Set(matching(sender, on: channel.network)
            .filter { $0.channel == nil || $0.channel?.lowercased() == channel.channel.lowercased() }
            .map(\.role))
    }

    private func matching(_ sender: Sender, on network: NetworkID) -> [Entry] {
        guard let account = sender.account?.lowercased(), !account.isEmpty else { return [] }
        return entries.filter { $0.network == network && $0.account.lowercased() == account }
    }
}
