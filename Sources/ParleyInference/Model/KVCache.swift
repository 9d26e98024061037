/// The keys and values of every position a sequence has seen, for every layer, so that each new
/// token attends to the past without recomputing it. Laid out layer-major
/// (`[layer][position][kvDimension]`, `allocated` positions per layer), so that one layer's
/// attention reads a dense block rather than a few bytes every `layers × kvDimension`; it grows
/// by doubling, each layer's rows moved. Stored as fp16, as llama.cpp stores it by default (half
/// the memory, and the same rounding).
///
/// `@unchecked Sendable`: owned by one conversation, used by one generation at a time (the
/// engine serialises them) and never shared between threads except inside one forward pass,
/// where threads read disjoint heads and only the calling thread writes.
public final class KVCache: @unchecked Sendable {
    let layers: Int
    let kvDimension: Int
    /// The most positions it may hold (the configured context).
    public let capacity: Int
    /// The token ids whose keys and values are stored, in order.
    public private(set) var tokens: [Int] = []
    private(set) var keys: UnsafeMutablePointer<UInt16>
    private(set) var values: UnsafeMutablePointer<UInt16>
    private var allocated: Int

    init(layers: Int, kvDimension: Int, capacity: Int) {
        self.layers = layers
        self.kvDimension = kvDimension
        self.capacity = capacity
        allocated = min(capacity, 256)
        keys = .allocate(capacity: allocated * layers * kvDimension)
        values = .allocate(capacity: allocated * layers * kvDimension)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    public var count: Int { tokens.count }

    /// Bytes held now.
    public var memoryBytes: Int { 2 * allocated * layers * kvDimension * MemoryLayout<UInt16>.size }

    /// Where position `position`, layer `layer` starts; positions of a layer are `kvDimension` apart.
    func offset(position: Int, layer: Int) -> Int {
        (layer * allocated + position) * kvDimension
    }

    /// Makes room for position `position` (growing by doubling).
    func reserve(position: Int) {
        guard position >= allocated else { return }
        let grown = min(capacity, max(position + 1, allocated * 2))
        keys = moved(keys, into: grown)
        values = moved(values, into: grown)
        allocated = grown
    }

    /// The stored positions of every layer, moved into room for `grown` positions per layer.
    private func moved(_ old: UnsafeMutablePointer<UInt16>, into grown: Int) -> UnsafeMutablePointer<UInt16> {
        let new = UnsafeMutablePointer<UInt16>.allocate(capacity: grown * layers * kvDimension)
        for layer in 0..<layers {
            (new + layer * grown * kvDimension).update(from: old + layer * allocated * kvDimension, count: count * kvDimension)
        }
        old.deallocate()
        return new
    }

    func appendToken(_ token: Int) {
        tokens.append(token)
    }

    /// Forgets every position from `count` on.
    public func truncate(to count: Int) {
        if count < tokens.count { tokens.removeLast(tokens.count - count) }
    }
}
