/// The ids of the last `capacity` messages seen, to drop a message delivered twice.
struct RecentMessageIDs: Sendable {
    private let capacity: Int
    private var set: Set<MessageID> = []
    private var order: [MessageID] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Remembers `id`; false when it was seen already.
    mutating func insert(_ id: MessageID) -> Bool {
        guard set.insert(id).inserted else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            set.remove(order[next])
            order[next] = id
            next = (next + 1) % capacity
        }
        return true
    }
}
