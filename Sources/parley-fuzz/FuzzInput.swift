import Foundation

/// A fuzzer's bytes read as the choices a target makes (a size, a flag, where to cut) followed by
/// its payload, so that one input drives a whole scenario and mutating it explores both.
struct FuzzInput {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: [UInt8]) {
        self.bytes = bytes[...]
    }

    /// The next byte; 0 once the input is used up (so every input is a valid scenario).
    mutating func byte() -> UInt8 {
        bytes.popFirst() ?? 0
    }

    mutating func bool() -> Bool {
        byte() & 1 == 1
    }

    /// A number in `range`, from as many bytes as the range needs.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        var value: UInt64 = 0
        var span: UInt64 = 1
        while span < width {
            value = value << 8 | UInt64(byte())
            span = span << 8
        }
        return range.lowerBound + Int(value % width)
    }

    /// Up to `count` next bytes.
    mutating func take(_ count: Int) -> [UInt8] {
        let taken = bytes.prefix(count)
        bytes = bytes.dropFirst(count)
        return Array(taken)
    }

    /// Everything not read yet.
    var rest: [UInt8] { Array(bytes) }

    /// The rest cut into pieces of `size` bytes, as a network delivers them.
    func restInPieces(of size: Int) -> [ArraySlice<UInt8>] {
        stride(from: bytes.startIndex, to: bytes.endIndex, by: max(size, 1)).map {
            bytes[$0..<min($0 + max(size, 1), bytes.endIndex)]
        }
    }
}

/// A property every input must keep; a broken one ends the process as a crash does, so the
/// fuzzer keeps the input (and prints what broke).
func expect(_ condition: @autoclosure () -> Bool, _ what: @autoclosure () -> String) {
    guard !condition() else { return }
    FileHandle.standardError.write(Data("parley-fuzz: property broken: \(what())\n".utf8))
    abort()
}
