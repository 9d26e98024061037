/// A weight matrix in the mapped model file: `rows` rows of `columns` elements of `type`,
/// `rowBytes` apart. ggml stores a linear layer `[in, out]` as `out` rows of `in` elements, so
/// row r holds the weights of output r.
///
/// `@unchecked Sendable`: `data` points into a read-only mapping that the model's `GGUFFile`
/// keeps alive for as long as the model (and so this matrix) exists; nothing ever writes to it.
struct WeightMatrix: @unchecked Sendable {
    let name: String
    let type: GGMLType
    let rows: Int
    let columns: Int
    let rowBytes: Int
    let data: UnsafeRawPointer
    /// The rows repacked for the fast kernels, when the type has a packed form.
    var packed: PackedMatrix?

    init(name: String, type: GGMLType, rows: Int, columns: Int, rowBytes: Int, data: UnsafeRawPointer) {
        self.name = name
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.data = data
    }

    init(_ info: TensorInfo, in file: GGUFFile) {
        name = info.name
        type = info.type
        columns = info.dimensions[0]
        rows = info.rows
        rowBytes = info.rowBytes
        data = file.data(of: info).baseAddress!
    }

    func row(_ index: Int) -> UnsafeRawPointer {
        data + index * rowBytes
    }
}
