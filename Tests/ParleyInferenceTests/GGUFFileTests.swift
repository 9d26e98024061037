import ParleyCore
import Foundation
@testable import ParleyInference
import Testing

/// A small GGUF file written byte by byte, to corrupt in every way a hostile file might.
struct GGUFBuilder {
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes += Array(s.utf8)
    }

    /// A valid file: two metadata entries (and any `extra`: key, type code, value bytes) and one
    /// 32×2 F32 tensor.
    static func valid(
        version: UInt32 = 3, tensorType: UInt32 = 0, dimensions: [UInt64] = [32, 2], tensorOffset: UInt64 = 0,
        metadataType: UInt32 = 8, extra: [(key: String, type: UInt32, value: [UInt8])] = []
    ) -> [UInt8] {
        var b = GGUFBuilder()
        b.bytes += Array("GGUF".utf8)
        b.u32(version)
        b.u64(1)  // tensors
        b.u64(2 + UInt64(extra.count))  // metadata
        for entry in extra {
            b.string(entry.key)
            b.u32(entry.type)
            b.bytes += entry.value
        }
        b.string("general.architecture")
        b.u32(metadataType)
        b.string("llama")
        b.string("test.list")
        b.u32(9)  // array
        b.u32(4)  // of uint32
        b.u64(3)
        for v: UInt32 in [1, 2, 3] { b.u32(v) }
        b.string("w")
        b.u32(UInt32(dimensions.count))
        for d in dimensions { b.u64(d) }
        b.u32(tensorType)
        b.u64(tensorOffset)
        while b.bytes.count % 32 != 0 { b.bytes.append(0) }
        for i in 0..<64 { withUnsafeBytes(of: Float(i).bitPattern.littleEndian) { b.bytes += $0 } }
        return b.bytes
    }
}

@Suite struct GGUFFileTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-gguf-\(UUID().uuidString)")

    func open(_ bytes: [UInt8]) throws -> GGUFFile {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("m.gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try GGUFFile(path: path)
    }

    func reason(_ bytes: [UInt8]) -> GGUFError.Reason? {
        do {
            _ = try open(bytes)
            return nil
        } catch let error as GGUFError {
            return error.reason
        } catch {
            return .unreadable("\(error)")
        }
    }

    @Test func readsAValidFile() throws {
        let file = try open(GGUFBuilder.valid())
        #expect(file.version == 3)
        #expect(file["general.architecture"] == .string("llama"))
        #expect(file["test.list"] == .array(.uint32([1, 2, 3])))
        let tensor = try #require(file.tensor(named: "w"))
        #expect(tensor.dimensions == [32, 2] && tensor.type == .f32 && tensor.byteCount == 256)
        let values = file.data(of: tensor).bindMemory(to: Float.self)
        #expect(values[63] == 63)
    }

    @Test func everyTruncationIsAClearErrorNeverACrash() {
        let bytes = GGUFBuilder.valid()
        for length in 0..<bytes.count {
            let reason = reason(Array(bytes.prefix(length)))
            #expect(reason != nil, "a file cut at \(length) of \(bytes.count) bytes was accepted")
        }
    }

    @Test func badMagicAndVersionsAreRefused() {
        var bytes = GGUFBuilder.valid()
        bytes[0] = UInt8(ascii: "X")
        #expect(reason(bytes) == .notGGUF)
        #expect(reason(GGUFBuilder.valid(version: 1)) == .unsupportedVersion(1))
        #expect(reason(GGUFBuilder.valid(version: 99)) == .unsupportedVersion(99))
        _ = try? open(GGUFBuilder.valid(version: 2))
    }

    @Test func lengthsAndCountsPointingPastTheEndAreRefused() {
        var bytes = GGUFBuilder.valid()
        // The first key's length (offset 24) claims far more than the file holds.
        bytes.replaceSubrange(24..<32, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Array($0) })
        guard case .truncated = reason(bytes) else {
            Issue.record("a key length past the end was not refused: \(String(describing: reason(bytes)))")
            return
        }
        var counts = GGUFBuilder.valid()
        counts.replaceSubrange(16..<24, with: withUnsafeBytes(of: UInt64.max.littleEndian) { Array($0) })
        #expect(reason(counts) == .implausibleCount(what: "metadata entries", count: .max))
    }

    @Test func tensorsOutsideTheFileOrWithAbsurdShapesAreRefused() {
        guard case .invalidTensor(name: "w", _) = reason(GGUFBuilder.valid(tensorOffset: 1 << 20)) else {
            Issue.record("a tensor past the end was accepted")
            return
        }
        guard case .invalidTensor = reason(GGUFBuilder.valid(tensorOffset: 4)) else {
            Issue.record("a misaligned tensor was accepted")
            return
        }
        for dimensions: [UInt64] in [[0, 2], [1 << 40, 2], [1 << 31, 1 << 31, 1 << 31], [32, 2, 1, 1, 1]] {
            guard case .invalidTensor = reason(GGUFBuilder.valid(dimensions: dimensions)) else {
                Issue.record("dimensions \(dimensions) were accepted")
                continue
            }
        }
        // 33 elements is not a whole number of Q8_0 blocks.
        guard case .invalidTensor = reason(GGUFBuilder.valid(tensorType: 8, dimensions: [33, 1])) else {
            Issue.record("a partial block was accepted")
            return
        }
    }

    @Test func unknownTypesAreRefused() {
        #expect(reason(GGUFBuilder.valid(tensorType: 77)) == .unknownTensorType(name: "w", type: 77))
        #expect(reason(GGUFBuilder.valid(metadataType: 42)) == .unknownValueType(42))
    }

    @Test func theErrorNamesTheFileAndOffset() throws {
        do {
            _ = try open(Array(GGUFBuilder.valid().prefix(30)))
            Issue.record("accepted")
        } catch let error as GGUFError {
            let path = folder.appendingPathComponent("m.gguf").path
            #expect(error.description == "\(path) at byte 24: 2 metadata entries cannot fit in the file; it is corrupt")
        }
        do {
            _ = try open(Array(GGUFBuilder.valid().prefix(70)))
            Issue.record("accepted")
        } catch let error as GGUFError {
            #expect(error.description.hasSuffix("at byte 69: the file ends early: 8 more bytes needed, 1 left; the download is probably incomplete"), "\(error)")
        }
    }

    @Test func theReferenceModelCutShortIsRefused() throws {
        let model = try Data(contentsOf: URL(fileURLWithPath: Golden.modelPath), options: .alwaysMapped)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("cut.gguf").path
        for length in [7, 100, 5_000, 1_000_000, 1_785_000, 50_000_000, model.count - 1] {
            try model.prefix(length).write(to: URL(fileURLWithPath: path))
            #expect(throws: GGUFError.self, "cut at \(length)") { try GGUFFile(path: path) }
        }
    }

    @Test func aModelWithoutItsTensorsIsAClearError() throws {
        // The test file has no llama hyper-parameters: loading it as a model names what is missing.
        let file = try open(GGUFBuilder.valid())
        #expect(throws: ModelError.missingMetadata("llama.block_count")) { try ModelHyperparameters(file: file) }
    }

    // Issue 19, item 2: a negative alignment is an error naming it, never a trap.
    @Test(arguments: [Int32(-32), -1, Int32.min, 0, 3, 1 << 20])
    func aBadAlignmentIsAnErrorNamingIt(alignment: Int32) {
        let bytes = GGUFBuilder.valid(extra: [("general.alignment", 5, withUnsafeBytes(of: alignment.littleEndian) { Array($0) })])
        #expect(reason(bytes) == .badAlignment("\(alignment)"))
    }

    // Issue 19, item 12: a boolean byte that is neither 0 nor 1 is reported as such, not as UTF-8.
    @Test func anInvalidBooleanByteIsNamed() throws {
        let bytes = GGUFBuilder.valid(extra: [("general.flag", 7, [7])])
        #expect(reason(bytes) == .invalidBool(7))
        #expect(try open(GGUFBuilder.valid(extra: [("general.flag", 7, [1])]))["general.flag"] == .bool(true))
    }

    /// A uint8 array metadata entry of `count` elements.
    static func byteArray(_ key: String, count: Int) -> (key: String, type: UInt32, value: [UInt8]) {
        var b = GGUFBuilder()
        b.u32(0)  // of uint8
        b.u64(UInt64(count))
        b.bytes += [UInt8](repeating: 7, count: count)
        return (key, 9, b.bytes)
    }

    // Issue 19, item 10: numeric arrays are stored compactly (a byte per uint8), and what the
    // metadata may allocate is capped before anything is allocated.
    @Test func numericArraysTakeTheirElementSizeInMemory() throws {
        let count = 1 << 20
        let file = try open(GGUFBuilder.valid(extra: [Self.byteArray("general.languages", count: count)]))
        guard case .array(.uint8(let values))? = file["general.languages"] else {
            Issue.record("a uint8 array is not stored as bytes: \(String(describing: file["general.languages"]?.summary))")
            return
        }
        #expect(values.count == count && values.allSatisfy { $0 == 7 })
        #expect(file.metadataBytes >= count && file.metadataBytes < count + 4096, "\(file.metadataBytes) bytes")
    }

    @Test func metadataBeyondTheCapIsRefusedBeforeItIsAllocated() throws {
        let bytes = GGUFBuilder.valid(extra: [Self.byteArray("general.languages", count: 3 << 20)])
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("capped.gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let mapped = try MappedFile(path: path)
        #expect(throws: GGUFError.self) { try GGUFFile(file: mapped, metadataLimit: 2 << 20) }
        do {
            _ = try GGUFFile(file: mapped, metadataLimit: 2 << 20)
        } catch let error as GGUFError {
            #expect(error.reason == .metadataTooLarge(limit: 2 << 20))
        }
        // Strings count their text too.
        var strings = GGUFBuilder()
        strings.u32(8)
        strings.u64(1000)
        for _ in 0..<1000 { strings.string(String(repeating: "s", count: 4000)) }
        let manyStrings = GGUFBuilder.valid(extra: [("tokenizer.ggml.tokens", 9, strings.bytes)])
        try Data(manyStrings).write(to: URL(fileURLWithPath: path))
        #expect(throws: GGUFError.self) { try GGUFFile(file: try MappedFile(path: path), metadataLimit: 2 << 20) }
        #expect(try GGUFFile(file: try MappedFile(path: path), metadataLimit: 8 << 20)["tokenizer.ggml.tokens"]?.array?.count == 1000)
    }
}
