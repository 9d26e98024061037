import COlm

/// What libolm refused, in which call. The codes a hostile or broken peer can cause are named;
/// anything else keeps libolm's own word.
public struct OlmError: Error, Hashable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// The message failed its MAC: tampered, or not for this session.
        case badMessageMAC
        case badMessageFormat
        case badMessageVersion
        /// A pre-key message for a one-time key this account does not have (used, or never made).
        case badMessageKeyID
        case invalidBase64
        /// The pickle key does not open this pickle.
        case badPickleKey
        case corruptedPickle
        case unknownPickleVersion
        case badSessionKey
        /// A Megolm message older than the first index this session knows.
        case unknownMessageIndex
        case other(String)
    }

    /// The libolm call that failed, as "olm_decrypt".
    public var operation: String
    public var code: Code

    public init(operation: String, code: Code) {
        self.operation = operation
        self.code = code
    }

    init(operation: String, raw: OlmErrorCode) {
        let code: Code = switch raw {
        case OLM_BAD_MESSAGE_MAC: .badMessageMAC
        case OLM_BAD_MESSAGE_FORMAT: .badMessageFormat
        case OLM_BAD_MESSAGE_VERSION: .badMessageVersion
        case OLM_BAD_MESSAGE_KEY_ID: .badMessageKeyID
        case OLM_INVALID_BASE64: .invalidBase64
        case OLM_BAD_ACCOUNT_KEY: .badPickleKey
        case OLM_CORRUPTED_PICKLE: .corruptedPickle
        case OLM_UNKNOWN_PICKLE_VERSION: .unknownPickleVersion
        case OLM_BAD_SESSION_KEY: .badSessionKey
        case OLM_UNKNOWN_MESSAGE_INDEX: .unknownMessageIndex
        default: .other("libolm error \(raw.rawValue)")
        }
        self.init(operation: operation, code: code)
    }

    public var description: String { "\(operation) failed: \(code)" }
}
