/// A GGUF model file: its metadata and its tensors, validated and mapped into memory.
///
/// Everything is checked before use: the magic and version, every count against the bytes left,
/// every string's length and encoding, each tensor's type, dimensions (with overflow checks),
/// alignment and extent against the file size. No later read can leave the file.
public final class GGUFFile: Sendable {
    public let path: String
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [TensorInfo]
    private let metadataIndex: [String: Int]
    private let tensorIndex: [String: Int]
    private let file: MappedFile
    /// What the metadata takes in memory (as `MetadataBudget` counts it).
    let metadataBytes: Int
    /// Where tensor data starts in the file.
    public let dataOffset: Int

    /// Opens and validates the file at `path`.
    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// - Parameter metadataLimit: the most bytes the metadata may take in memory.
    init(file: MappedFile, metadataLimit: Int = MetadataBudget.defaultLimit) throws {
        self.file = file
        self.path = file.path
        var reader = ByteReader(bytes: file.bytes, file: file.path)
        guard reader.remaining >= 4, try reader.read(UInt32.self) == 0x4655_4747 else {  // "GGUF"
            throw reader.error(.notGGUF, at: 0)
        }
        version = try reader.read(UInt32.self)
        guard version == 2 || version == 3 else { throw reader.error(.unsupportedVersion(version), at: 4) }
        let tensorCount = try reader.read(UInt64.self)
        let metadataCount = try reader.read(UInt64.self)
        // A metadata entry takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor entry
        // 8 + 4 + 8 + 4 + 8.
        guard metadataCount <= UInt64(reader.remaining / 13) else {
            throw reader.error(.implausibleCount(what: "metadata entries", count: metadataCount))
        }
        guard tensorCount <= UInt64(reader.remaining / 32) else {
            throw reader.error(.implausibleCount(what: "tensors", count: tensorCount))
        }

        var metadata: [(key: String, value: GGUFValue)] = []
        var budget = MetadataBudget(limit: metadataLimit)
        var metadataIndex: [String: Int] = [:]
        for _ in 0..<metadataCount {
            let keyOffset = reader.offset
            let key = try reader.readString()
            let typeOffset = reader.offset
            let rawType = try reader.read(UInt32.self)
            guard let type = GGUFValue.TypeCode(rawValue: rawType) else {
                throw reader.error(.unknownValueType(rawType), at: typeOffset)
            }
            let value = try GGUFValue.read(type, from: &reader, budget: &budget)
            guard metadataIndex[key] == nil else { throw reader.error(.duplicateKey(key), at: keyOffset) }
            metadataIndex[key] = metadata.count
            metadata.append((key, value))
        }
        self.metadata = metadata
        self.metadataIndex = metadataIndex
        metadataBytes = budget.spent

        var alignment = 32
        if let index = metadataIndex["general.alignment"] {
            guard let value = metadata[index].value.integer, value > 0, value <= 65536, value & (value - 1) == 0 else {
                throw reader.error(.badAlignment(metadata[index].value.summary), at: nil)
            }
            alignment = value
        }

        var raw: [(name: String, dimensions: [Int], type: GGMLType, offset: UInt64, at: Int)] = []
        var tensorIndex: [String: Int] = [:]
        for _ in 0..<tensorCount {
            let at = reader.offset
            let name = try reader.readString()
            let dimensionCount = try reader.read(UInt32.self)
            guard (1...4).contains(dimensionCount) else {
                throw reader.error(.invalidTensor(name: name, problem: "\(dimensionCount) dimensions (1 to 4 allowed)"), at: at)
            }
            var dimensions: [Int] = []
            for _ in 0..<dimensionCount {
                let dimension = try reader.read(UInt64.self)
                guard dimension > 0, dimension <= UInt64(Int32.max) else {
                    throw reader.error(.invalidTensor(name: name, problem: "dimension \(dimension) is out of range"), at: at)
                }
                dimensions.append(Int(dimension))
            }
            let rawType = try reader.read(UInt32.self)
            guard let type = GGMLType(rawValue: rawType) else {
                throw reader.error(.unknownTensorType(name: name, type: rawType), at: at)
            }
            let offset = try reader.read(UInt64.self)
            guard tensorIndex[name] == nil else { throw reader.error(.duplicateTensor(name), at: at) }
            tensorIndex[name] = raw.count
            raw.append((name, dimensions, type, offset, at))
        }

        let headerEnd = reader.offset
        // A file without tensors (a vocabulary alone) may end at its header, unpadded.
        let dataOffset = min((headerEnd + alignment - 1) / alignment * alignment, tensorCount == 0 ? file.bytes.count : .max)
        guard dataOffset <= file.bytes.count else {
            throw reader.error(.truncated(needed: UInt64(dataOffset - headerEnd), available: UInt64(reader.remaining)))
        }
        self.dataOffset = dataOffset
        let dataSize = UInt64(file.bytes.count - dataOffset)

        self.tensors = try raw.map { tensor in
            func invalid(_ problem: String) -> GGUFError {
                GGUFError(file: file.path, offset: UInt64(tensor.at), reason: .invalidTensor(name: tensor.name, problem: problem))
            }
            guard tensor.offset % UInt64(alignment) == 0 else {
                throw invalid("data offset \(tensor.offset) is not aligned to \(alignment)")
            }
            guard let rowBytes = tensor.type.rowBytes(tensor.dimensions[0]) else {
                throw invalid("first dimension \(tensor.dimensions[0]) is not a whole number of \(tensor.type) blocks")
            }
            var byteCount = rowBytes
            for dimension in tensor.dimensions.dropFirst() {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw invalid("its size overflows") }
                byteCount = product
            }
            guard tensor.offset <= dataSize, UInt64(byteCount) <= dataSize - tensor.offset else {
                throw invalid("its \(byteCount) bytes at offset \(tensor.offset) run past the end of the file (\(dataSize) bytes of data)")
            }
            return TensorInfo(
                name: tensor.name, dimensions: tensor.dimensions, type: tensor.type,
                offset: dataOffset + Int(tensor.offset), byteCount: byteCount, rowBytes: rowBytes)
        }
        self.tensorIndex = tensorIndex
    }

    public subscript(key: String) -> GGUFValue? {
        metadataIndex[key].map { metadata[$0].value }
    }

    public func tensor(named name: String) -> TensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The bytes of a tensor, in the mapping (valid while this file lives).
    func data(of tensor: TensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[tensor.offset..<tensor.offset + tensor.byteCount])
    }

    public var fileSize: Int { file.bytes.count }

    /// Tells the kernel that `tensor`'s bytes will not be read again soon (they were copied):
    /// its pages leave the process's resident set and come back from the page cache if read.
    func releasePages(of tensor: TensorInfo) {
        file.releasePages(tensor.offset..<tensor.offset + tensor.byteCount)
    }
}

/// Where one tensor is in a GGUF file and what it holds.
public struct TensorInfo: Sendable, Hashable {
    public let name: String
    /// ggml order: `dimensions[0]` is the length of a row (the innermost, contiguous dimension).
    public let dimensions: [Int]
    public let type: GGMLType
    /// Absolute byte offset in the file.
    public let offset: Int
    public let byteCount: Int
    /// Bytes of one row of `dimensions[0]` elements.
    public let rowBytes: Int

    public var elementCount: Int { dimensions.reduce(1, *) }
    public var rows: Int { elementCount / dimensions[0] }
}
