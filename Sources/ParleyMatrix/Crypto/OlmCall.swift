import COlm

/// The calling conventions libolm's functions share: a result of `olm_error()` means failure
/// (the object's last error says why); outputs go into buffers sized by a `…_length` call;
/// randomness is passed in; inputs that libolm decodes in place are copies.
enum OlmCall {
    /// `result`, or the object's last error when it is `olm_error()`.
    @discardableResult
    static func check(_ result: Int, _ operation: String, error: () -> OlmErrorCode) throws(OlmError) -> Int {
        guard result != olm_error() else { throw OlmError(operation: operation, raw: error()) }
        return result
    }

    /// The text `fill` writes into a buffer of `capacity` bytes (libolm's outputs are base64 or JSON).
    static func text(
        capacity: Int, _ operation: String, error: () -> OlmErrorCode,
        _ fill: (UnsafeMutableRawPointer, Int) -> Int
    ) throws(OlmError) -> String {
        var buffer = [UInt8](repeating: 0, count: max(capacity, 1))
        let written = buffer.withUnsafeMutableBytes { fill($0.baseAddress!, capacity) }
        let length = try check(written, operation, error: error)
        return String(decoding: buffer.prefix(length), as: UTF8.self)
    }

    /// Calls `body` with `count` bytes from the system's cryptographic generator (getrandom),
    /// wiped afterwards.
    @discardableResult
    static func withRandom<T>(_ count: Int, _ body: (UnsafeMutableRawPointer, Int) throws(OlmError) -> T) throws(OlmError) -> T {
        var generator = SystemRandomNumberGenerator()
        var random = (0..<max(count, 1)).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        defer { for index in random.indices { random[index] = 0 } }
        return try random.withUnsafeMutableBytes { bytes in
            Result { () throws(OlmError) -> T in try body(bytes.baseAddress!, count) }
        }.get()
    }

    /// A writable copy of `text`'s bytes, for the calls that decode their input in place.
    @discardableResult
    static func withScratch<T>(_ text: String, _ body: (UnsafeMutableRawPointer, Int) throws(OlmError) -> T) throws(OlmError) -> T {
        var bytes = Array(text.utf8)
        let count = bytes.count
        if bytes.isEmpty { bytes = [0] }
        return try bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(OlmError) -> T in try body(buffer.baseAddress!, count) }
        }.get()
    }
}

/// The key a pickle (libolm's encrypted serialisation of an account or session) is locked with:
/// from `crypto_pickle_key` or `crypto_pickle_key_file`. Never printed.
public struct PickleKey: Sendable, CustomStringConvertible {
    let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var description: String { "PickleKey(\(bytes.count) bytes, not shown)" }

    @discardableResult
    func withBytes<T>(_ body: (UnsafeRawPointer, Int) throws(OlmError) -> T) throws(OlmError) -> T {
        let count = bytes.count
        let copy = bytes.isEmpty ? [0] : bytes
        return try copy.withUnsafeBytes { buffer in
            Result { () throws(OlmError) -> T in try body(buffer.baseAddress!, count) }
        }.get()
    }
}
