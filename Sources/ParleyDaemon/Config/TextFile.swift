import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reading a text file the config names (the config itself, a secret, a system prompt) with the
/// checks that make a wrong path a clear sentence: it must be a regular file (not a directory,
/// a device such as /dev/zero, or a pipe), of a sane size, and UTF-8.
enum TextFile {
    /// Why a file could not be read, as one sentence.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static let maxBytes = 1 << 20

    static func read(_ path: String, maxBytes: Int = maxBytes) throws(Problem) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Problem(description: errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw Problem(description: "it is a directory, not a file")
        default: throw Problem(description: "it is not a regular file (a device, a pipe or a socket)")
        }
        guard Int(info.st_size) <= maxBytes else {
            throw Problem(description: "it is \(info.st_size) bytes; the most is \(maxBytes)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(description: access(path, R_OK) != 0 ? "permission denied" : "it cannot be read")
        }
        return try decode(Array(data))
    }

    /// The text, or where it stops being UTF-8 (byte offset and line).
    static func decode(_ bytes: [UInt8]) throws(Problem) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var offset = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var valid = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                valid = offset
            case .emptyInput: break loop
            case .error: break loop
            }
        }
        let line = bytes[..<valid].count(where: { $0 == UInt8(ascii: "\n") }) + 1
        throw Problem(description: "it is not UTF-8 text: byte \(valid) (line \(line)) is not valid UTF-8; save the file as UTF-8")
    }
}
