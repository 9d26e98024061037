public import ParleyCore

/// Where the encryption state of a Matrix account survives a restart: libolm pickles, locked
/// with the configured pickle key before they reach the store, and what goes with them.
public protocol MatrixCryptoStore: Sendable {
    func loadCrypto(account: String) async throws -> [CryptoRecord]
    /// Writes the records, in one transaction; a record without a value is removed.
    func saveCrypto(account: String, _ records: [CryptoRecord]) async throws
}

/// One piece of encryption state, as the store keeps it.
public struct CryptoRecord: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The device's Olm account; the key is the device id.
        case account
        /// The Olm sessions with one other device; the key is its Curve25519 key.
        case olmSessions = "olm_sessions"
        /// A Megolm session received; the key names the room, sender key and session.
        case inboundGroupSession = "inbound_group_session"
    }

    public var kind: Kind
    public var key: String
    /// JSON holding pickles; nil: remove the record.
    public var value: String?

    public init(kind: Kind, key: String, value: String?) {
        self.kind = kind
        self.key = key
        self.value = value
    }
}
