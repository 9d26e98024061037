/// The key that opens the bot's server-side key backup, as people write it down: the 32-byte
/// Curve25519 private key behind the prefix 0x8B 0x01 and a parity byte (the XOR of all bytes
/// before it), in Bitcoin's base58, in groups of four (the Matrix spec's "recovery key"). Element
/// shows and takes the same text. Never printed.
public struct RecoveryKey: Sendable, Equatable, CustomStringConvertible {
    /// The private key.
    let bytes: [UInt8]

    static let prefix: [UInt8] = [0x8B, 0x01]
    private static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// Why a text is not a recovery key.
    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case notBase58(Character)
        case wrongLength(Int)
        case wrongPrefix
        case wrongParity

        public var description: String {
            switch self {
            case .notBase58(let character): "'\(character)' is not a base58 character (no 0, O, I or l)"
            case .wrongLength(let count): "it decodes to \(count) bytes, not 35"
            case .wrongPrefix: "it does not start as a recovery key does"
            case .wrongParity: "its check byte does not match: a character is mistyped"
            }
        }
    }

    init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a Curve25519 private key is 32 bytes")
        self.bytes = bytes
    }

    /// A new key from the system's generator (for `parley matrix recovery-key`).
    public static func random() -> RecoveryKey {
        var generator = SystemRandomNumberGenerator()
        return RecoveryKey(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Reads the text form; spaces and line breaks anywhere are ignored.
    public init(parsing text: String) throws(Invalid) {
        let digits = text.filter { !$0.isWhitespace }
        var decoded: [UInt8] = []  // big-endian
        for character in digits {
            guard let ascii = character.asciiValue, let digit = Self.alphabet.firstIndex(of: ascii) else { throw .notBase58(character) }
            var carry = digit
            for index in decoded.indices.reversed() {
                carry += Int(decoded[index]) * 58
                decoded[index] = UInt8(carry & 0xFF)
                carry >>= 8
            }
            while carry > 0 {
                decoded.insert(UInt8(carry & 0xFF), at: 0)
                carry >>= 8
            }
        }
        // Each leading '1' stands for a leading zero byte.
        decoded = Array(repeating: 0, count: digits.prefix(while: { $0 == "1" }).count) + decoded
        guard decoded.count == 35 else { throw .wrongLength(decoded.count) }
        guard Array(decoded.prefix(2)) == Self.prefix else { throw .wrongPrefix }
        guard decoded.reduce(0, ^) == 0 else { throw .wrongParity }
        self.init(bytes: Array(decoded[2..<34]))
    }

    /// The text form, in groups of four characters.
    public var text: String {
        var payload = Self.prefix + bytes
        payload.append(payload.reduce(0, ^))
        var digits: [UInt8] = []  // little-endian base58
        for byte in payload {
            var carry = Int(byte)
            for index in digits.indices {
                carry += Int(digits[index]) << 8
                digits[index] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        let zeros = payload.prefix(while: { $0 == 0 }).count
        let characters = Array(repeating: Character("1"), count: zeros) + digits.reversed().map { Character(UnicodeScalar(Self.alphabet[Int($0)])) }
        return stride(from: 0, to: characters.count, by: 4).map { String(characters[$0..<min($0 + 4, characters.count)]) }.joined(separator: " ")
    }

    public var description: String { "RecoveryKey(not shown)" }
}
