import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file mapped read-only into memory. Weights are used in place or copied once into a packed
/// form, whose file pages are then released.
///
/// `@unchecked Sendable`: the mapping is created once, never written (PROT_READ), and unmapped
/// only in `deinit`, when no one can hold a reference any more; concurrent reads are safe.
final class MappedFile: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    let path: String

    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw GGUFError(file: path, offset: nil, reason: .unreadable(String(cString: strerror(errno))))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw GGUFError(file: path, offset: nil, reason: .unreadable(String(cString: strerror(errno))))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(file: path, offset: nil, reason: .unreadable("not a regular file"))
        }
        let size = Int(status.st_size)
        guard size > 0 else {
            throw GGUFError(file: path, offset: 0, reason: .truncated(needed: 4, available: 0))
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw GGUFError(file: path, offset: nil, reason: .unreadable(String(cString: strerror(errno))))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// Drops the whole pages inside `range` from the resident set (MADV_DONTNEED on a private,
    /// read-only file mapping only unmaps them; a later read faults them in from the file).
    func releasePages(_ range: Range<Int>) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page
        let end = range.upperBound / page * page
        guard start < end else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
