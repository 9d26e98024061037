/// Reads little-endian values from a byte buffer, checking every read against its end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset: Int = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    func error(_ reason: GGUFError.Reason, at offset: Int? = nil) -> GGUFError {
        GGUFError(file: file, offset: UInt64(offset ?? self.offset), reason: reason)
    }

    mutating func require(_ count: Int) throws {
        guard count >= 0, count <= remaining else {
            throw error(.truncated(needed: UInt64(max(count, 0)), available: UInt64(remaining)))
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try require(MemoryLayout<T>.size)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
    mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }

    mutating func readBool() throws -> Bool {
        let start = offset
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw error(.invalidBool(other), at: start)
        }
    }

    /// A length-prefixed UTF-8 string.
    mutating func readString() throws -> String {
        let start = offset
        let length = try read(UInt64.self)
        guard length <= UInt64(remaining) else {
            throw error(.truncated(needed: length, available: UInt64(remaining)))
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)])
        offset += Int(length)
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw error(.invalidString("\(length) bytes"), at: start)
        }
        return string
    }

    mutating func skip(_ count: Int) throws {
        try require(count)
        offset += count
    }
}
