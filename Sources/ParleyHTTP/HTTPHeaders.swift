/// Header fields, normalised once for every HTTP user in Parley: names are compared and stored
/// lowercased (HTTP names are case-insensitive, and servers differ in how they write them),
/// values are trimmed of surrounding blanks, and order is kept. A field whose name is not an
/// HTTP token or whose value holds CR, LF or NUL is refused before anything is sent
/// (`validate()`), so text from a config file or a server can never add a header of its own.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public struct Field: Sendable, Hashable {
        /// Lowercased.
        public let name: String
        public let value: String
    }

    private var fields: [Field] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    public init(_ pairs: some Sequence<(key: String, value: String)>) {
        for pair in pairs { add(pair.key, pair.value) }
    }

    /// The first value under `name`, any case; setting replaces every field of that name
    /// (`nil` removes them).
    public subscript(name: String) -> String? {
        get {
            let key = name.lowercased()
            return fields.first { $0.name == key }?.value
        }
        set {
            let key = name.lowercased()
            fields.removeAll { $0.name == key }
            if let newValue { add(key, newValue) }
        }
    }

    /// Adds a field, keeping any of the same name (`Set-Cookie`-style repeats).
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name.lowercased(), value: value.trimmingBlanks()))
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Throws for the first field that cannot be sent as written.
    public func validate() throws(HTTPError) {
        for field in fields {
            guard Self.isToken(field.name) else { throw .invalidHeader(name: field.name, reason: "the name is not an HTTP token") }
            guard Self.isFieldValue(field.value) else {
                throw .invalidHeader(name: field.name, reason: "the value holds a control character (CR, LF, NUL…)")
            }
        }
    }

    /// RFC 9110 `token`: the characters a field name may have.
    public static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// RFC 9110 `field-value`: visible characters, spaces and tabs, and bytes above ASCII; no
    /// other control character.
    public static func isFieldValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }
    }

    /// Names only: values may be secrets (`authorization`).
    public var description: String { "[" + fields.map(\.name).joined(separator: ", ") + "]" }
}

extension String {
    fileprivate func trimmingBlanks() -> String {
        var scalars = Substring(self).unicodeScalars
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
