import CParleyKernels

/// A weight matrix repacked at load time for the fast products: groups of 8 rows interleaved
/// block by block (`pk_block_q4_1x8`, `pk_block_q5_0x8`, `pk_block_q8_0x8`, `pk_block_q4_Kx8`,
/// `pk_block_q6_Kx8`), about the number of bytes in the file. Like llama.cpp's CPU repacking, it
/// trades one copy at load for kernels that compute 8 rows per pass over an activation block.
///
/// `@unchecked Sendable`: the buffer is written once in `init` and only read afterwards; it is
/// freed in `deinit`, when no one can hold a reference any more.
final class PackedMatrix: @unchecked Sendable {
    let type: GGMLType
    let groups: Int
    let columns: Int
    let data: UnsafeMutableRawPointer
    /// Where `data` lives when it came from an arena (kept alive by this matrix); nil when the
    /// matrix allocated it alone.
    private let arena: PackedArena?

    /// The packed form of `matrix`, or nil when its type or shape has none; in `arena` when
    /// given (and it has the memory).
    init?(_ matrix: WeightMatrix, in arena: PackedArena? = nil) {
        let size = pk_packed_size(Int32(matrix.type.rawValue), matrix.rows, matrix.columns)
        guard size > 0 else { return nil }
        let placed = arena?.allocate(size)
        self.arena = placed == nil ? nil : arena
        data = placed ?? .allocate(byteCount: size, alignment: 64)
        guard pk_pack(Int32(matrix.type.rawValue), matrix.data, matrix.rowBytes, matrix.rows, matrix.columns, data) == 1
        else {
            if placed == nil { data.deallocate() }
            return nil
        }
        type = matrix.type
        groups = matrix.rows / Int(PK_PACK_ROWS)
        columns = matrix.columns
    }

    deinit {
        if arena == nil { data.deallocate() }
    }
}
