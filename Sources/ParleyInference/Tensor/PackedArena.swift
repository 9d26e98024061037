import Foundation

/// Memory for a model's packed matrices, in 2 MiB-aligned regions that the kernel is asked to
/// back with transparent huge pages (`MADV_HUGEPAGE`; most distributions enable THP only on
/// request). Each token streams every matrix once, about a gigabyte for a 1.5B model: with 4 KiB
/// pages that is a TLB miss every 4 KiB, with 2 MiB pages one every 2 MiB. Measured on the 1.5B's
/// layer shapes, one thread: 23 → 26 GB/s (session 14 note).
///
/// Matrices are placed one after another in 32 MiB regions (a region's untouched tail costs
/// nothing), a larger one in a region of its own. Without `mmap` or THP the memory is still
/// usable, only on small pages.
///
/// `@unchecked Sendable`: `allocate` is called only while the model loads, on one thread; after
/// that the regions are only read (through the matrices' pointers) and unmapped in `deinit`,
/// when no matrix holds the arena any more.
final class PackedArena: @unchecked Sendable {
    private static let hugePage = 2 << 20
    private static let regionSize = 32 << 20
    private var regions: [(base: UnsafeMutableRawPointer, size: Int)] = []
    private var free: (next: UnsafeMutableRawPointer, end: UnsafeMutableRawPointer)?

    /// `bytes` 64-byte aligned, or nil when the system refuses the memory.
    func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let size = (bytes + 63) & ~63
        if let (next, end) = free, end - next >= size {
            free = (next + size, end)
            return next
        }
        let regionBytes = max(Self.regionSize, (size + Self.hugePage - 1) / Self.hugePage * Self.hugePage)
        guard let base = Self.mapAligned(regionBytes) else { return nil }
        regions.append((base, regionBytes))
        if size < regionBytes { free = (base + size, base + regionBytes) }
        return base
    }

    /// `size` bytes (a multiple of 2 MiB) at a 2 MiB boundary: mapped with room to spare, the
    /// unaligned head and the tail unmapped.
    private static func mapAligned(_ size: Int) -> UnsafeMutableRawPointer? {
        let mapped = size + hugePage
        guard let raw = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            return nil
        }
        let address = UInt(bitPattern: raw)
        let aligned = (address + UInt(hugePage) - 1) & ~UInt(hugePage - 1)
        let head = Int(aligned - address)
        if head > 0 { munmap(raw, head) }
        let tail = mapped - head - size
        let base = UnsafeMutableRawPointer(bitPattern: aligned)!
        if tail > 0 { munmap(base + size, tail) }
        _ = madvise(base, size, MADV_HUGEPAGE)
        return base
    }

    deinit {
        for region in regions { munmap(region.base, region.size) }
    }
}
