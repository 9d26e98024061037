/// A GGUF metadata value.
public enum GGUFValue: Sendable, Equatable {
    case uint(UInt64)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

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

    public var array: [GGUFValue]? {
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
            values.count > 8 ? "[\(values.count) values]" : "[" + values.map(\.summary).joined(separator: ", ") + "]"
        }
    }

    /// GGUF's value type codes.
    enum TypeCode: UInt32 {
        case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

        /// The fewest bytes one value of this type takes, to bound array counts by the file size.
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

    static func read(_ code: TypeCode, from reader: inout ByteReader, depth: Int = 0) throws -> GGUFValue {
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
        case .string: return .string(try reader.readString())
        case .array:
            guard depth < 4 else { throw reader.error(.nestingTooDeep) }
            let typeOffset = reader.offset
            let rawType = try reader.read(UInt32.self)
            guard let elementType = TypeCode(rawValue: rawType) else {
                throw reader.error(.unknownValueType(rawType), at: typeOffset)
            }
            let count = try reader.read(UInt64.self)
            guard count <= UInt64(reader.remaining / elementType.minimumSize) else {
                throw reader.error(.implausibleCount(what: "array elements", count: count))
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<count {
                values.append(try read(elementType, from: &reader, depth: depth + 1))
            }
            return .array(values)
        }
    }
}
