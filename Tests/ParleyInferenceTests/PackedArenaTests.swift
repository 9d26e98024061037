@testable import ParleyInference
import Testing

@Suite struct PackedArenaTests {
    @Test func allocationsAreAlignedApartAndKeepTheirBytes() {
        let arena = PackedArena()
        // Small ones share a region; one larger than a region gets its own.
        let sizes = [100, 5_000, 1 << 20, 40 << 20, 3, 31 << 20]
        let blocks = sizes.map { size in (arena.allocate(size)!, size) }
        for (index, (base, size)) in blocks.enumerated() {
            #expect(Int(bitPattern: base) % 64 == 0, "allocation \(index) is 64-byte aligned")
            base.initializeMemory(as: UInt8.self, repeating: UInt8(index + 1), count: size)
        }
        for (index, (base, size)) in blocks.enumerated() {
            let bytes = UnsafeRawBufferPointer(start: base, count: size)
            #expect(bytes.allSatisfy { $0 == UInt8(index + 1) }, "allocation \(index) was not overwritten by another")
        }
        let ranges = blocks.map { Int(bitPattern: $0.0)..<(Int(bitPattern: $0.0) + $0.1) }.sorted { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound <= b.lowerBound) }
    }
}
