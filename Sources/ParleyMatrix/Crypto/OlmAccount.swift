import COlm
import Foundation

/// A device's Olm account: its identity keys (Curve25519 for key agreement, Ed25519 for
/// signatures), its one-time and fallback keys, and the start of every Olm session with it.
///
/// Owns libolm's memory, so it is neither copied nor shared: one task (the crypto machine)
/// holds it.
public final class OlmAccount {
    /// The public identity keys, as the device's `/keys/upload` carries them.
    public struct IdentityKeys: Hashable, Sendable, Decodable {
        public var curve25519: String
        public var ed25519: String
    }

    private let object: OlmObject
    var pointer: OpaquePointer { object.pointer }

    private init() {
        object = OlmObject(.account)
    }

    /// A new account with fresh identity keys.
    public static func create() throws(OlmError) -> OlmAccount {
        let account = OlmAccount()
        let pointer = account.pointer
        try OlmCall.withRandom(olm_create_account_random_length(pointer)) { (random, count) throws(OlmError) in
            try account.object.check(olm_create_account(pointer, random, count), "olm_create_account")
        }
        return account
    }

    /// The account a pickle holds; `badPickleKey` when `key` does not open it.
    public init(pickle: String, key: PickleKey) throws(OlmError) {
        object = try OlmObject(.account, pickle: pickle, key: key)
    }

    /// The account encrypted with `key`, as base64.
    public func pickle(key: PickleKey) throws(OlmError) -> String {
        try object.pickle(key: key)
    }

    public func identityKeys() throws(OlmError) -> IdentityKeys {
        let pointer = self.pointer
        let json = try object.text(olm_account_identity_keys_length(pointer), "olm_account_identity_keys") {
            olm_account_identity_keys(pointer, $0, $1)
        }
        guard let keys = try? JSONDecoder().decode(IdentityKeys.self, from: Data(json.utf8)) else {
            throw OlmError(operation: "olm_account_identity_keys", code: .other("unexpected JSON from libolm"))
        }
        return keys
    }

    /// The Ed25519 signature of `message` (canonical JSON, for key uploads), as unpadded base64.
    public func sign(_ message: String) throws(OlmError) -> String {
        let pointer = self.pointer
        return try OlmCall.withScratch(message) { (bytes, count) throws(OlmError) in
            try object.text(olm_account_signature_length(pointer), "olm_account_sign") { olm_account_sign(pointer, bytes, count, $0, $1) }
        }
    }

    /// How many one-time keys the account can hold; the server should be kept at about half.
    public var maxOneTimeKeys: Int { olm_account_max_number_of_one_time_keys(pointer) }

    public func generateOneTimeKeys(_ count: Int) throws(OlmError) {
        let pointer = self.pointer
        try OlmCall.withRandom(olm_account_generate_one_time_keys_random_length(pointer, count)) { (random, length) throws(OlmError) in
            try object.check(olm_account_generate_one_time_keys(pointer, count, random, length), "olm_account_generate_one_time_keys")
        }
    }

    /// The one-time keys not yet marked published, by key id.
    public func oneTimeKeys() throws(OlmError) -> [String: String] {
        let pointer = self.pointer
        let json = try object.text(olm_account_one_time_keys_length(pointer), "olm_account_one_time_keys") {
            olm_account_one_time_keys(pointer, $0, $1)
        }
        return try Self.curveKeys(json, "olm_account_one_time_keys")
    }

    /// After an upload: the keys handed out so far are no longer returned by `oneTimeKeys()`.
    public func markKeysAsPublished() {
        _ = olm_account_mark_keys_as_published(pointer)
    }

    /// A new fallback key (the previous one is kept until `forgetOldFallbackKey`).
    public func generateFallbackKey() throws(OlmError) {
        let pointer = self.pointer
        try OlmCall.withRandom(olm_account_generate_fallback_key_random_length(pointer)) { (random, length) throws(OlmError) in
            try object.check(olm_account_generate_fallback_key(pointer, random, length), "olm_account_generate_fallback_key")
        }
    }

    /// The fallback key not yet published, by key id (empty when there is none).
    public func unpublishedFallbackKey() throws(OlmError) -> [String: String] {
        let pointer = self.pointer
        let json = try object.text(olm_account_unpublished_fallback_key_length(pointer), "olm_account_unpublished_fallback_key") {
            olm_account_unpublished_fallback_key(pointer, $0, $1)
        }
        return try Self.curveKeys(json, "olm_account_unpublished_fallback_key")
    }

    /// Takes the one-time key an inbound session used out of the account: it is never used twice.
    public func removeOneTimeKeys(usedBy session: OlmSession) throws(OlmError) {
        try object.check(olm_remove_one_time_keys(pointer, session.pointer), "olm_remove_one_time_keys")
    }

    /// `{"curve25519": {"AAAAAQ": "key", …}}` → `["AAAAAQ": "key"]`.
    private static func curveKeys(_ json: String, _ operation: String) throws(OlmError) -> [String: String] {
        guard let keys = try? JSONDecoder().decode([String: [String: String]].self, from: Data(json.utf8)) else {
            throw OlmError(operation: operation, code: .other("unexpected JSON from libolm"))
        }
        return keys["curve25519"] ?? [:]
    }
}
