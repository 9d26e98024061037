import COlm

/// A Megolm session another device (or this one) encrypts a room's messages with, as received
/// in an `m.room_key` (or `m.forwarded_room_key`, or a key backup). libolm decrypts any message
/// index at or after the first it knows, any number of times: refusing a replayed index is the
/// caller's work (a message index is bound to one event id).
///
/// Owns libolm's memory; held by one task.
public final class MegolmInboundSession {
    private let memory: UnsafeMutableRawPointer
    let pointer: OpaquePointer

    private init() {
        memory = .allocate(byteCount: olm_inbound_group_session_size(), alignment: 16)
        pointer = olm_inbound_group_session(memory)
    }

    deinit {
        olm_clear_inbound_group_session(pointer)
        memory.deallocate()
    }

    /// From the `session_key` of an `m.room_key` (signed by the sender's device).
    public convenience init(sessionKey: String) throws(OlmError) {
        self.init()
        let pointer = self.pointer
        try OlmCall.withScratch(sessionKey) { (key, count) throws(OlmError) in
            try check(olm_init_inbound_group_session(pointer, key.assumingMemoryBound(to: UInt8.self), count), "olm_init_inbound_group_session")
        }
    }

    /// From an exported key (`m.forwarded_room_key`, a key backup): not signed by the sender.
    public convenience init(exportedKey: String) throws(OlmError) {
        self.init()
        let pointer = self.pointer
        try OlmCall.withScratch(exportedKey) { (key, count) throws(OlmError) in
            try check(olm_import_inbound_group_session(pointer, key.assumingMemoryBound(to: UInt8.self), count), "olm_import_inbound_group_session")
        }
    }

    public convenience init(pickle: String, key: PickleKey) throws(OlmError) {
        self.init()
        let pointer = self.pointer
        try key.withBytes { (keyBytes, keyCount) throws(OlmError) in
            try OlmCall.withScratch(pickle) { (pickled, count) throws(OlmError) in
                try check(olm_unpickle_inbound_group_session(pointer, keyBytes, keyCount, pickled, count),
                          "olm_unpickle_inbound_group_session")
            }
        }
    }

    public func pickle(key: PickleKey) throws(OlmError) -> String {
        let pointer = self.pointer
        return try key.withBytes { (keyBytes, keyCount) throws(OlmError) in
            try text(olm_pickle_inbound_group_session_length(pointer), "olm_pickle_inbound_group_session") {
                olm_pickle_inbound_group_session(pointer, keyBytes, keyCount, $0, $1)
            }
        }
    }

    public func id() throws(OlmError) -> String {
        let pointer = self.pointer
        return try text(olm_inbound_group_session_id_length(pointer), "olm_inbound_group_session_id") {
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
            try check(olm_group_decrypt_max_plaintext_length(pointer, bytes.assumingMemoryBound(to: UInt8.self), count),
                      "olm_group_decrypt_max_plaintext_length")
        }
        var index: UInt32 = 0
        let plaintext = try OlmCall.withScratch(ciphertext) { (bytes, count) throws(OlmError) in
            try text(capacity, "olm_group_decrypt") {
                olm_group_decrypt(pointer, bytes.assumingMemoryBound(to: UInt8.self), count, $0.assumingMemoryBound(to: UInt8.self), $1, &index)
            }
        }
        return (plaintext, index)
    }

    /// The key from `index` on, for forwarding to another of the bot's devices or a key backup.
    public func export(at index: UInt32) throws(OlmError) -> String {
        let pointer = self.pointer
        return try text(olm_export_inbound_group_session_length(pointer), "olm_export_inbound_group_session") {
            olm_export_inbound_group_session(pointer, $0.assumingMemoryBound(to: UInt8.self), $1, index)
        }
    }

    // MARK: - libolm's conventions for this object

    @discardableResult
    private func check(_ result: Int, _ operation: String) throws(OlmError) -> Int {
        let pointer = self.pointer
        return try OlmCall.check(result, operation) { olm_inbound_group_session_last_error_code(pointer) }
    }

    private func text(_ capacity: Int, _ operation: String, _ fill: (UnsafeMutableRawPointer, Int) -> Int) throws(OlmError) -> String {
        let pointer = self.pointer
        return try OlmCall.text(capacity: capacity, operation, error: { olm_inbound_group_session_last_error_code(pointer) }, fill)
    }
}
