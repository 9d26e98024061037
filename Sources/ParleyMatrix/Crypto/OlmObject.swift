import COlm

/// One libolm object (an account, a session, a group session, a key pair of the key backup) in
/// memory it owns, with the calls every kind has: its last error, pickling (for the kinds that
/// are kept), and the `olm_error()` / buffer conventions of `OlmCall` bound to it. The Swift
/// types wrap one each.
final class OlmObject {
    /// libolm's functions for one kind of object.
    struct Kind: Sendable {
        let size: @Sendable () -> Int
        let initialize: @Sendable (UnsafeMutableRawPointer?) -> OpaquePointer?
        let clear: @Sendable (OpaquePointer?) -> Int
        let lastError: @Sendable (OpaquePointer?) -> OlmErrorCode
        let pickling: Pickling?
        /// As in the function names: "account", "session", "inbound_group_session", …
        let name: String
    }

    /// The pickle calls of a kind that is stored.
    struct Pickling: Sendable {
        let length: @Sendable (OpaquePointer?) -> Int
        let pickle: @Sendable (OpaquePointer?, UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, Int) -> Int
        let unpickle: @Sendable (OpaquePointer?, UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, Int) -> Int
    }

    private let memory: UnsafeMutableRawPointer
    let pointer: OpaquePointer
    private let kind: Kind

    init(_ kind: Kind) {
        self.kind = kind
        memory = .allocate(byteCount: kind.size(), alignment: 16)
        pointer = kind.initialize(memory)!
    }

    /// The object a pickle holds; `badPickleKey` when `key` does not open it.
    convenience init(_ kind: Kind, pickle: String, key: PickleKey) throws(OlmError) {
        self.init(kind)
        let pointer = self.pointer
        let pickling = try Self.pickling(of: kind, "olm_unpickle")
        try key.withBytes { (keyBytes, keyCount) throws(OlmError) in
            try OlmCall.withScratch(pickle) { (pickled, count) throws(OlmError) in
                try check(pickling.unpickle(pointer, keyBytes, keyCount, pickled, count), "olm_unpickle_\(kind.name)")
            }
        }
    }

    deinit {
        _ = kind.clear(pointer)
        memory.deallocate()
    }

    /// The object encrypted with `key`, as base64.
    func pickle(key: PickleKey) throws(OlmError) -> String {
        let (pointer, kind) = (self.pointer, self.kind)
        let pickling = try Self.pickling(of: kind, "olm_pickle")
        return try key.withBytes { (keyBytes, keyCount) throws(OlmError) in
            try text(pickling.length(pointer), "olm_pickle_\(kind.name)") { pickling.pickle(pointer, keyBytes, keyCount, $0, $1) }
        }
    }

    private static func pickling(of kind: Kind, _ operation: String) throws(OlmError) -> Pickling {
        guard let pickling = kind.pickling else { throw OlmError(operation: "\(operation)_\(kind.name)", code: .other("this kind is never stored")) }
        return pickling
    }

    /// `result`, or this object's last error when it is `olm_error()`.
    @discardableResult
    func check(_ result: Int, _ operation: String) throws(OlmError) -> Int {
        let (pointer, kind) = (self.pointer, self.kind)
        return try OlmCall.check(result, operation) { kind.lastError(pointer) }
    }

    /// The text `fill` writes into a buffer of `capacity` bytes, or this object's last error.
    func text(_ capacity: Int, _ operation: String, _ fill: (UnsafeMutableRawPointer, Int) -> Int) throws(OlmError) -> String {
        let (pointer, kind) = (self.pointer, self.kind)
        return try OlmCall.text(capacity: capacity, operation, error: { kind.lastError(pointer) }, fill)
    }
}

extension OlmObject.Kind {
    static let account = Self(
        size: olm_account_size, initialize: olm_account, clear: olm_clear_account, lastError: olm_account_last_error_code,
        pickling: .init(length: olm_pickle_account_length, pickle: olm_pickle_account, unpickle: olm_unpickle_account), name: "account")
    static let session = Self(
        size: olm_session_size, initialize: olm_session, clear: olm_clear_session, lastError: olm_session_last_error_code,
        pickling: .init(length: olm_pickle_session_length, pickle: olm_pickle_session, unpickle: olm_unpickle_session), name: "session")
    static let outboundGroupSession = Self(
        size: olm_outbound_group_session_size, initialize: olm_outbound_group_session, clear: olm_clear_outbound_group_session,
        lastError: olm_outbound_group_session_last_error_code,
        pickling: .init(
            length: olm_pickle_outbound_group_session_length, pickle: olm_pickle_outbound_group_session,
            unpickle: olm_unpickle_outbound_group_session),
        name: "outbound_group_session")
    static let inboundGroupSession = Self(
        size: olm_inbound_group_session_size, initialize: olm_inbound_group_session, clear: olm_clear_inbound_group_session,
        lastError: olm_inbound_group_session_last_error_code,
        pickling: .init(
            length: olm_pickle_inbound_group_session_length, pickle: olm_pickle_inbound_group_session,
            unpickle: olm_unpickle_inbound_group_session),
        name: "inbound_group_session")
    /// The key backup's private key, made again from the recovery key at each start (not stored).
    static let pkDecryption = Self(
        size: olm_pk_decryption_size, initialize: olm_pk_decryption, clear: olm_clear_pk_decryption,
        lastError: olm_pk_decryption_last_error_code, pickling: nil, name: "pk_decryption")
    static let pkEncryption = Self(
        size: olm_pk_encryption_size, initialize: olm_pk_encryption, clear: olm_clear_pk_encryption,
        lastError: olm_pk_encryption_last_error_code, pickling: nil, name: "pk_encryption")
}
