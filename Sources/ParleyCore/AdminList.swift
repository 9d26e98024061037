/// Who may run admin commands: authenticated accounts per network. A nick is never enough.
public struct AdminList: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var network: NetworkID
        /// The services account (IRC) or user id (Matrix), compared case-insensitively.
        public var account: String

        public init(network: NetworkID, account: String) {
            self.network = network
            self.account = account
        }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry] = []) {
        self.entries = entries
    }

    public func contains(_ sender: Sender, on network: NetworkID) -> Bool {
        guard let account = sender.account?.lowercased(), !account.isEmpty else { return false }
        return entries.contains { $0.network == network && $0.account.lowercased() == account }
    }
}
