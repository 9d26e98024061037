import COlm

/// The Megolm session this device encrypts a room's messages with. Its `sessionKey` goes to every
/// device in the room over Olm (`m.room_key`) before the first message; it is replaced after
/// the room's rotation period or message count, and whenever a member leaves.
///
/// Owns libolm's memory; held by one task.
public final class MegolmOutboundSession {
    private let object: OlmObject
    var pointer: OpaquePointer { object.pointer }

    private init() {
        object = OlmObject(.outboundGroupSession)
    }

    /// A new session with a fresh ratchet, at message index 0.
    public static func create() throws(OlmError) -> MegolmOutboundSession {
        let session = MegolmOutboundSession()
        let pointer = session.pointer
        try OlmCall.withRandom(olm_init_outbound_group_session_random_length(pointer)) { (random, count) throws(OlmError) in
            try session.object.check(olm_init_outbound_group_session(pointer, random.assumingMemoryBound(to: UInt8.self), count),
                              "olm_init_outbound_group_session")
        }
        return session
    }

    public init(pickle: String, key: PickleKey) throws(OlmError) {
        object = try OlmObject(.outboundGroupSession, pickle: pickle, key: key)
    }

    public func pickle(key: PickleKey) throws(OlmError) -> String {
        try object.pickle(key: key)
    }

    public func id() throws(OlmError) -> String {
        let pointer = self.pointer
        return try object.text(olm_outbound_group_session_id_length(pointer), "olm_outbound_group_session_id") {
            olm_outbound_group_session_id(pointer, $0.assumingMemoryBound(to: UInt8.self), $1)
        }
    }

    /// The key that lets a device decrypt from the current message index on.
    public func sessionKey() throws(OlmError) -> String {
        let pointer = self.pointer
        return try object.text(olm_outbound_group_session_key_length(pointer), "olm_outbound_group_session_key") {
            olm_outbound_group_session_key(pointer, $0.assumingMemoryBound(to: UInt8.self), $1)
        }
    }

    /// The index the next message gets; also how many were sent (for rotation).
    public var messageIndex: UInt32 { olm_outbound_group_session_message_index(pointer) }

    /// `plaintext` (the event's JSON) encrypted, as base64.
    public func encrypt(_ plaintext: String) throws(OlmError) -> String {
        let pointer = self.pointer
        return try OlmCall.withScratch(plaintext) { (plain, count) throws(OlmError) in
            try object.text(olm_group_encrypt_message_length(pointer, count), "olm_group_encrypt") {
                olm_group_encrypt(pointer, plain.assumingMemoryBound(to: UInt8.self), count, $0.assumingMemoryBound(to: UInt8.self), $1)
            }
        }
    }
}
