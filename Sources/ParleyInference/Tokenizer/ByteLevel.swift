/// GPT-2's byte-level alphabet: every byte maps to a printable Unicode scalar, so that BPE
/// vocabularies can be written as text. Printable Latin-1 bytes stand for themselves; the others
/// (controls, space, DEL, NBSP, soft hyphen) take the scalars from U+0100 upward in byte order,
/// which is why a space appears as `Ġ` (U+0120) and a line feed as `Ċ` (U+010A).
enum ByteLevel {
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let isPrintable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if isPrintable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    static let byteForScalar: [UInt32: UInt8] = {
        var table: [UInt32: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() { table[scalar.value] = UInt8(byte) }
        return table
    }()

    /// `bytes` written in the byte-level alphabet.
    static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(scalarForByte[Int(byte)]) }
        return String(scalars)
    }

    /// The bytes a byte-level string stands for; scalars outside the alphabet are taken as their
    /// own UTF-8 (as special tokens are written).
    static func decode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            if let byte = byteForScalar[scalar.value] {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: Array(String(scalar).utf8))
            }
        }
        return bytes
    }
}
