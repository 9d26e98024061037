@testable import ParleyInference
import Testing

@Suite struct KVCacheTests {
    /// Writes a value naming (layer, position, element) into every slot up to `positions`.
    static func fill(_ cache: KVCache, positions: Range<Int>) {
        for layer in 0..<cache.layers {
            for position in positions {
                cache.reserve(position: position)
                let slot = cache.offset(position: position, layer: layer)
                for i in 0..<cache.kvDimension {
                    cache.keys[slot + i] = UInt16(layer * 1000 + position * 10 + i)
                    cache.values[slot + i] = UInt16(50_000 - (layer * 1000 + position * 10 + i))
                }
            }
        }
        for _ in positions { cache.appendToken(0) }
    }

    @Test func growingKeepsEveryLayersStoredPositions() {
        let cache = KVCache(layers: 3, kvDimension: 4, capacity: 2000)
        Self.fill(cache, positions: 0..<200)
        cache.reserve(position: 900)  // grows past the first allocation of 256 positions
        #expect(cache.memoryBytes >= 2 * 901 * 3 * 4 * 2)
        for layer in 0..<3 {
            for position in 0..<200 {
                let slot = cache.offset(position: position, layer: layer)
                for i in 0..<4 {
                    #expect(cache.keys[slot + i] == UInt16(layer * 1000 + position * 10 + i))
                    #expect(cache.values[slot + i] == UInt16(50_000 - (layer * 1000 + position * 10 + i)))
                }
            }
        }
    }

    @Test func aLayersPositionsAreOneRowApart() {
        let cache = KVCache(layers: 2, kvDimension: 8, capacity: 64)
        #expect(cache.offset(position: 5, layer: 1) - cache.offset(position: 4, layer: 1) == 8)
        // Layer 1 starts where layer 0's room (all 64 positions, at this capacity) ends.
        #expect(cache.offset(position: 0, layer: 1) == cache.offset(position: 63, layer: 0) + 8)
    }

    @Test func truncatingForgetsLaterPositionsOnly() {
        let cache = KVCache(layers: 1, kvDimension: 2, capacity: 16)
        Self.fill(cache, positions: 0..<10)
        cache.truncate(to: 4)
        #expect(cache.count == 4)
        cache.truncate(to: 8)
        #expect(cache.count == 4)
    }
}
