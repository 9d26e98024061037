import COlm

/// One Olm session (a double ratchet) between this device and another: it carries to-device
/// messages, above all the Megolm room keys.
///
/// Owns libolm's memory; held by one task, like `OlmAccount`.
public final class OlmSession {
    /// An Olm message as `m.room.encrypted` carries it in `ciphertext.<key>.{type, body}`.
    public struct Message: Hashable, Sendable {
        public enum Kind: Int, Sendable {
            /// The first messages of a session, until the other side answers: they carry the
            /// one-time key the session was made with.
            case preKey = 0
            case normal = 1
        }

        public var kind: Kind
        /// Base64.
        public var body: String

        public init(kind: Kind, body: String) {
            self.kind = kind
            self.body = body
        }
    }

    private let object: OlmObject
    var pointer: OpaquePointer { object.pointer }

    private init() {
        object = OlmObject(.session)
    }

    /// A session to the device with `identityKey` (Curve25519), started with one of its claimed
    /// one-time keys (or its fallback key).
    public static func outbound(from account: OlmAccount, to identityKey: String, oneTimeKey: String) throws(OlmError) -> OlmSession {
        let session = OlmSession()
        let pointer = session.pointer
        try OlmCall.withRandom(olm_create_outbound_session_random_length(pointer)) { (random, count) throws(OlmError) in
            try OlmCall.withScratch(identityKey) { (identity, identityCount) throws(OlmError) in
                try OlmCall.withScratch(oneTimeKey) { (key, keyCount) throws(OlmError) in
                    try session.object.check(
                        olm_create_outbound_session(pointer, account.pointer, identity, identityCount, key, keyCount, random, count),
                        "olm_create_outbound_session")
                }
            }
        }
        return session
    }

    /// The session a pre-key message from the device with `identityKey` starts. The caller then
    /// removes the one-time key it used from the account (`OlmAccount.removeOneTimeKeys`).
    public static func inbound(to account: OlmAccount, from identityKey: String, preKeyMessage: String) throws(OlmError) -> OlmSession {
        let session = OlmSession()
        let pointer = session.pointer
        try OlmCall.withScratch(identityKey) { (identity, identityCount) throws(OlmError) in
            try OlmCall.withScratch(preKeyMessage) { (message, messageCount) throws(OlmError) in
                try session.object.check(
                    olm_create_inbound_session_from(pointer, account.pointer, identity, identityCount, message, messageCount),
                    "olm_create_inbound_session_from")
            }
        }
        return session
    }

    /// The session a pickle holds; `badPickleKey` when `key` does not open it.
    public init(pickle: String, key: PickleKey) throws(OlmError) {
        object = try OlmObject(.session, pickle: pickle, key: key)
    }

    public func pickle(key: PickleKey) throws(OlmError) -> String {
        try object.pickle(key: key)
    }

    /// The same on both ends.
    public func id() throws(OlmError) -> String {
        let pointer = self.pointer
        return try object.text(olm_session_id_length(pointer), "olm_session_id") { olm_session_id(pointer, $0, $1) }
    }

    /// Whether a pre-key message from `identityKey` belongs to this session (the other side sent
    /// several before this one answered).
    public func matches(preKeyMessage: String, from identityKey: String) throws(OlmError) -> Bool {
        let pointer = self.pointer
        let result = try OlmCall.withScratch(identityKey) { (identity, identityCount) throws(OlmError) in
            try OlmCall.withScratch(preKeyMessage) { (message, messageCount) throws(OlmError) in
                try object.check(olm_matches_inbound_session_from(pointer, identity, identityCount, message, messageCount), "olm_matches_inbound_session_from")
            }
        }
        return result == 1
    }

    public func encrypt(_ plaintext: String) throws(OlmError) -> Message {
        let pointer = self.pointer
        let type = try object.check(olm_encrypt_message_type(pointer), "olm_encrypt_message_type")
        let kind = Message.Kind(rawValue: type) ?? .normal
        let body = try OlmCall.withScratch(plaintext) { (plain, plainCount) throws(OlmError) in
            try OlmCall.withRandom(olm_encrypt_random_length(pointer)) { (random, randomCount) throws(OlmError) in
                try object.text(olm_encrypt_message_length(pointer, plainCount), "olm_encrypt") {
                    olm_encrypt(pointer, plain, plainCount, random, randomCount, $0, $1)
                }
            }
        }
        return Message(kind: kind, body: body)
    }

    /// The plaintext of `message`; `badMessageMAC` when it was not made by this session.
    public func decrypt(_ message: Message) throws(OlmError) -> String {
        let pointer = self.pointer
        let type = message.kind.rawValue
        // libolm decodes the message in place: the length is asked of one copy, the decryption
        // given another.
        let capacity = try OlmCall.withScratch(message.body) { (bytes, count) throws(OlmError) in
            try object.check(olm_decrypt_max_plaintext_length(pointer, type, bytes, count), "olm_decrypt_max_plaintext_length")
        }
        return try OlmCall.withScratch(message.body) { (bytes, count) throws(OlmError) in
            try object.text(capacity, "olm_decrypt") { olm_decrypt(pointer, type, bytes, count, $0, $1) }
        }
    }
}
