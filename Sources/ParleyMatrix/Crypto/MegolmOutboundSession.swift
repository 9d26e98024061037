import COlm

/// The Megolm session this device encrypts a room's messages with. Its `sessionKey` goes to every
/// device in the room over Olm (`m.room_key`) before the first message; it is replaced after
/// the room's rotation period or message count, and whenever a member leaves.
///
/// Owns libolm's memory; held by one task.
public final class MegolmOutboundSession {
    private let memory: UnsafeMutableRawPointer
    let pointer: OpaquePointer

    private init() {
        memory = .allocate(byteCount: olm_outbound_group_session_size(), alignment: 16)
        pointer = olm_outbound_group_session(memory)
    }

    deinit {
        olm_clear_outbound_group_session(pointer)
        memory.deallocate()
    }

    /// A new session with a fresh ratchet, at message index 0.
    public static func create() throws(OlmError) -> MegolmOutboundSession {
        let session = MegolmOutboundSession()
        let pointer = session.pointer
        try OlmCall.withRandom(olm_init_outbound_group_session_random_length(pointer)) { (random, count) throws(OlmError) in
            try session.check(olm_init_outbound_group_session(pointer, random.assumingMemoryBound(to: UInt8.self), count),
                              "olm_init_outbound_group_session")
        }
        return session
    }

    public convenience init(pickle: String, key: PickleKey) throws(OlmError) {
        self.init()
        let pointer = self.pointer
        try key.withBytes { (keyBytes, keyCount) throws(OlmError) in
            try OlmCall.withScratch(pickle) { (pickled, count) throws(OlmError) in
                try check(olm_unpickle_outbound_group_session(pointer, keyBytes, keyCount, pickled, count),
                          "olm_unpickle_outbound_group_session")
            }
        }
    }

    public func pickle(key: PickleKey) throws(OlmError) -> String {
        let pointer = self.pointer
        return try key.withBytes { (keyBytes, keyCount) throws(OlmError) in
            try text(olm_pickle_outbound_group_session_length(pointer), "olm_pickle_outbound_group_session") {
                olm_pickle_outbound_group_session(pointer, keyBytes, keyCount, $0, $1)
            }
        }
    }

    public func id() throws(OlmError) -> String {
        let pointer = self.pointer
        return try text(olm_outbound_group_session_id_length(pointer), "olm_outbound_group_session_id") {
            olm_outbound_group_session_id(pointer, $0.assumingMemoryBound(to: UInt8.self), $1)
        }
    }

    /// The key that lets a device decrypt from the current message index on.
    public func sessionKey() throws(OlmError) -> String {
        let pointer = self.pointer
        return try text(olm_outbound_group_session_key_length(pointer), "olm_outbound_group_session_key") {
            olm_outbound_group_session_key(pointer, $0.assumingMemoryBound(to: UInt8.self), $1)
        }
    }

    /// The index the next message gets; also how many were sent (for rotation).
    public var messageIndex: UInt32 { olm_outbound_group_session_message_index(pointer) }

    /// `plaintext` (the event's JSON) encrypted, as base64.
    public func encrypt(_ plaintext: String) throws(OlmError) -> String {
        let pointer = self.pointer
        return try OlmCall.withScratch(plaintext) { (plain, count) throws(OlmError) in
            try text(olm_group_encrypt_message_length(pointer, count), "olm_group_encrypt") {
                olm_group_encrypt(pointer, plain.assumingMemoryBound(to: UInt8.self), count, $0.assumingMemoryBound(to: UInt8.self), $1)
            }
        }
    }

    // MARK: - libolm's conventions for this object

    @discardableResult
    private func check(_ result: Int, _ operation: String) throws(OlmError) -> Int {
        let pointer = self.pointer
        return try OlmCall.check(result, operation) { olm_outbound_group_session_last_error_code(pointer) }
    }

    private func text(_ capacity: Int, _ operation: String, _ fill: (UnsafeMutableRawPointer, Int) -> Int) throws(OlmError) -> String {
        let pointer = self.pointer
        return try OlmCall.text(capacity: capacity, operation, error: { olm_outbound_group_session_last_error_code(pointer) }, fill)
    }
}
