/// A GGUF metadata value.
public enum GGUFValue: Sendable, Equatable {
    case uint(UInt64)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    /// The value as an integer, if it is one (of any width or signedness) and fits.
    public var integer: Int? {
        switch self {
        case .uint(let value): Int(exactly: value)
        case .int(let value): Int(exactly: value)
        default: nil
        }
    }

    public var number: Double? {
        switch self {
        case .uint(let value): Double(value)
        case .int(let value): Double(value)
        case .float(let value): value
        default: nil
        }
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var array: GGUFArray? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// A short rendering for `parley model info`; long arrays are summarised.
    public var summary: String {
        switch self {
        case .uint(let value): "\(value)"
        case .int(let value): "\(value)"
        case .float(let value): "\(value)"
        case .bool(let value): "\(value)"
        case .string(let value): value.count > 80 ? "\"\(value.prefix(77))...\" (\(value.count) characters)" : "\"\(value)\""
        case .array(let values):
            values.count > 8
                ? "[\(values.count) values]" : "[" + (0..<values.count).map { values[$0].summary }.joined(separator: ", ") + "]"
        }
    }

    /// GGUF's value type codes.
    enum TypeCode: UInt32 {
        case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

        /// The fewest bytes one value of this type takes in the file, to bound array counts by
        /// the file size.
        var minimumSize: Int {
            switch self {
            case .uint8, .int8, .bool: 1
            case .uint16, .int16: 2
            case .uint32, .int32, .float32: 4
            case .uint64, .int64, .float64, .string: 8
            case .array: 12
            }
        }
    }

    static func read(_ code: TypeCode, from reader: inout ByteReader, budget: inout MetadataBudget, depth: Int = 0) throws -> GGUFValue {
        switch code {
        case .uint8: return .uint(UInt64(try reader.read(UInt8.self)))
        case .int8: return .int(Int64(try reader.read(Int8.self)))
        case .uint16: return .uint(UInt64(try reader.read(UInt16.self)))
        case .int16: return .int(Int64(try reader.read(Int16.self)))
        case .uint32: return .uint(UInt64(try reader.read(UInt32.self)))
        case .int32: return .int(Int64(try reader.read(Int32.self)))
        case .uint64: return .uint(try reader.read(UInt64.self))
        case .int64: return .int(try reader.read(Int64.self))
        case .float32: return .float(Double(try reader.readFloat()))
        case .float64: return .float(try reader.readDouble())
        case .bool: return .bool(try reader.readBool())
        case .string:
            let string = try reader.readString()
            try budget.spend(MetadataBudget.cost(of: string), reader: reader)
            return .string(string)
        case .array: return .array(try GGUFArray.read(from: &reader, budget: &budget, depth: depth))
        }
    }
}

/// A metadata array, stored by its element type: a million `uint8`s take a megabyte, not the
/// 24 bytes per element that an array of enum values would.
public enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
    case uint64([UInt64]), int64([Int64]), float32([Float]), float64([Double]), bool([Bool])
    case string([String])
    case array([GGUFArray])

    public var count: Int {
        switch self {
        case .uint8(let values): values.count
        case .int8(let values): values.count
        case .uint16(let values): values.count
        case .int16(let values): values.count
        case .uint32(let values): values.count
        case .int32(let values): values.count
        case .uint64(let values): values.count
        case .int64(let values): values.count
        case .float32(let values): values.count
        case .float64(let values): values.count
        case .bool(let values): values.count
        case .string(let values): values.count
        case .array(let values): values.count
        }
    }

    /// Element `index` as a value (`0..<count`).
    public subscript(index: Int) -> GGUFValue {
        switch self {
        case .uint8(let values): .uint(UInt64(values[index]))
        case .int8(let values): .int(Int64(values[index]))
        case .uint16(let values): .uint(UInt64(values[index]))
        case .int16(let values): .int(Int64(values[index]))
        case .uint32(let values): .uint(UInt64(values[index]))
        case .int32(let values): .int(Int64(values[index]))
        case .uint64(let values): .uint(values[index])
        case .int64(let values): .int(values[index])
        case .float32(let values): .float(Double(values[index]))
        case .float64(let values): .float(values[index])
        case .bool(let values): .bool(values[index])
        case .string(let values): .string(values[index])
        case .array(let values): .array(values[index])
        }
    }

    /// The elements, if they are strings.
    public var strings: [String]? {
        if case .string(let values) = self { return values }
        return nil
    }

    /// The elements, if they are booleans.
    public var bools: [Bool]? {
        if case .bool(let values) = self { return values }
        return nil
    }

    /// The elements as floats, if they are numbers.
    public var floats: [Float]? {
        switch self {
        case .float32(let values): values
        case .string, .bool, .array: nil
        default: (0..<count).map { Float(self[$0].number ?? 0) }
        }
    }

    static func read(from reader: inout ByteReader, budget: inout MetadataBudget, depth: Int) throws -> GGUFArray {
        guard depth < 4 else { throw reader.error(.nestingTooDeep) }
        let typeOffset = reader.offset
        let rawType = try reader.read(UInt32.self)
        guard let elementType = GGUFValue.TypeCode(rawValue: rawType) else {
            throw reader.error(.unknownValueType(rawType), at: typeOffset)
        }
        let countOffset = reader.offset
        let rawCount = try reader.read(UInt64.self)
        guard rawCount <= UInt64(reader.remaining / elementType.minimumSize) else {
            throw reader.error(.implausibleCount(what: "array elements", count: rawCount))
        }
        let count = Int(rawCount)
        // Charged before anything is allocated; strings are charged again for their text.
        try budget.spend(count * MetadataBudget.elementCost(elementType), reader: reader, at: countOffset)
        func numbers<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            try (0..<count).map { _ in try reader.read(T.self) }
        }
        switch elementType {
        case .uint8: return .uint8(try numbers(UInt8.self))
        case .int8: return .int8(try numbers(Int8.self))
        case .uint16: return .uint16(try numbers(UInt16.self))
        case .int16: return .int16(try numbers(Int16.self))
        case .uint32: return .uint32(try numbers(UInt32.self))
        case .int32: return .int32(try numbers(Int32.self))
        case .uint64: return .uint64(try numbers(UInt64.self))
        case .int64: return .int64(try numbers(Int64.self))
        case .float32: return .float32(try (0..<count).map { _ in try reader.readFloat() })
        case .float64: return .float64(try (0..<count).map { _ in try reader.readDouble() })
        case .bool: return .bool(try (0..<count).map { _ in try reader.readBool() })
        case .string:
            return .string(try (0..<count).map { _ in
                let string = try reader.readString()
                try budget.spend(MetadataBudget.cost(of: string) - MetadataBudget.elementCost(.string), reader: reader)
                return string
            })
        case .array: return .array(try (0..<count).map { _ in try read(from: &reader, budget: &budget, depth: depth + 1) })
        }
    }
}

/// What a file's metadata may take in memory. Real models need a few MB (a 262,144-token
/// vocabulary with its scores and types is under 10); the cap stops a hostile file from making
/// the reader allocate gigabytes before it fails.
struct MetadataBudget {
    static let defaultLimit = 64 << 20

    let limit: Int
    private(set) var spent = 0

    init(limit: Int = defaultLimit) {
        self.limit = limit
    }

    mutating func spend(_ bytes: Int, reader: ByteReader, at offset: Int? = nil) throws {
        spent += bytes
        guard spent <= limit else { throw reader.error(.metadataTooLarge(limit: limit), at: offset) }
    }

    /// In-memory bytes of one element of a compact array (a string's 16-byte header; nested
    /// arrays their enum and header).
    static func elementCost(_ type: GGUFValue.TypeCode) -> Int {
        switch type {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string: 16
        case .array: 32
        }
    }

    /// A string's header, and its bytes when they do not fit inline (more than 15).
    static func cost(of string: String) -> Int {
        16 + (string.utf8.count > 15 ? string.utf8.count : 0)
    }
}
