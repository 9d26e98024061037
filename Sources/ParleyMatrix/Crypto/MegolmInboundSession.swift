import COlm

/// A Megolm session another device (or this one) encrypts a room's messages with, as received
/// in an `m.room_key` (or `m.forwarded_room_key`, or a key backup). libolm decrypts any message
/// index at or after the first it knows, any number of times: refusing a replayed index is the
/// caller's work (a message index is bound to one event id).
///
/// Owns libolm's memory; held by one task.
public final class MegolmInboundSession {
    private let object: OlmObject
    var pointer: OpaquePointer { object.pointer }

    private init() {
        object = OlmObject(.inboundGroupSession)
    }

    /// From the `session_key` of an `m.room_key` (signed by the sender's device).
    public convenience init(sessionKey: String) throws(OlmError) {
        self.init()
        let pointer = self.pointer
        try OlmCall.withScratch(sessionKey) { (key, count) throws(OlmError) in
            try object.check(olm_init_inbound_group_session(pointer, key.assumingMemoryBound(to: UInt8.self), count), "olm_init_inbound_group_session")
        }
    }

    /// From an exported key (`m.forwarded_room_key`, a key backup): not signed by the sender.
    public convenience init(exportedKey: String) throws(OlmError) {
        self.init()
        let pointer = self.pointer
        try OlmCall.withScratch(exportedKey) { (key, count) throws(OlmError) in
            try object.check(olm_import_inbound_group_session(pointer, key.assumingMemoryBound(to: UInt8.self), count), "olm_import_inbound_group_session")
        }
    }

    public init(pickle: String, key: PickleKey) throws(OlmError) {
        object = try OlmObject(.inboundGroupSession, pickle: pickle, key: key)
    }

    public func pickle(key: PickleKey) throws(OlmError) -> String {
        try object.pickle(key: key)
    }

    public func id() throws(OlmError) -> String {
        let pointer = self.pointer
        return try object.text(olm_inbound_group_session_id_length(pointer), "olm_inbound_group_session_id") {
            olm_inbound_group_session_id(pointer, $0.assumingMemoryBound(to: UInt8.self), $1)
        }
    }

    /// The oldest message index this session can decrypt.
    public var firstKnownIndex: UInt32 { olm_inbound_group_session_first_known_index(pointer) }

    /// The plaintext of `ciphertext` and its message index; `badMessageMAC` when tampered with,
    /// `unknownMessageIndex` when older than the key this session was given.
    public func decrypt(_ ciphertext: String) throws(OlmError) -> (plaintext: String, index: UInt32) {
        let pointer = self.pointer
        // libolm decodes the message in place: the length is asked of one copy, the decryption
        // given another.
        let capacity = try OlmCall.withScratch(ciphertext) { (bytes, count) throws(OlmError) in
            try object.check(olm_group_decrypt_max_plaintext_length(pointer, bytes.assumingMemoryBound(to: UInt8.self), count),
                      "olm_group_decrypt_max_plaintext_length")
        }
        var index: UInt32 = 0
        let plaintext = try OlmCall.withScratch(ciphertext) { (bytes, count) throws(OlmError) in
            try object.text(capacity, "olm_group_decrypt") {
                olm_group_decrypt(pointer, bytes.assumingMemoryBound(to: UInt8.self), count, $0.assumingMemoryBound(to: UInt8.self), $1, &index)
            }
        }
        return (plaintext, index)
    }

    /// The key from `index` on, for forwarding to another of the bot's devices or a key backup.
    public func export(at index: UInt32) throws(OlmError) -> String {
        let pointer = self.pointer
        return try object.text(olm_export_inbound_group_session_length(pointer), "olm_export_inbound_group_session") {
            olm_export_inbound_group_session(pointer, $0.assumingMemoryBound(to: UInt8.self), $1, index)
        }
    }
}
