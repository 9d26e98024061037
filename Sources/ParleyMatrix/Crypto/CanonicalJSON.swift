import ParleyCore

/// Matrix's canonical JSON, the bytes signatures are made over: no whitespace, object keys in
/// code point order, strings as raw UTF-8 with only the escapes JSON requires, integers only.
enum CanonicalJSON {
    /// A value canonical JSON cannot carry.
    struct Refusal: Error, Hashable, CustomStringConvertible {
        var number: Double
        var description: String { "canonical JSON carries integers of at most 2^53 - 1 only, not \(number)" }
    }

    static func text(_ value: JSONValue) throws(Refusal) -> String {
        var output = ""
        try write(value, to: &output)
        return output
    }

    private static func write(_ value: JSONValue, to output: inout String) throws(Refusal) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let number):
            guard number.rounded() == number, abs(number) <= 9_007_199_254_740_991 else { throw Refusal(number: number) }
            output += String(Int64(number))
        case .string(let string): writeString(string, to: &output)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                try write(item, to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            // UTF-8 byte order is code point order.
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output += "," }
                writeString(key, to: &output)
                output += ":"
                try write(members[key]!, to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
