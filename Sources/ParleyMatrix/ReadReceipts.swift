/// The newest event the bot has read in each room, waiting to be marked read.
///
/// Receipts are not urgent and each is a request the homeserver handles while it could be
/// posting a reply: the connector marks rooms read a moment after a sync (`readReceiptDelay`),
/// once per room for everything read meanwhile, instead of once per sync.
struct ReadReceipts {
    private var newest: [MatrixRoomID: MatrixEventID] = [:]

    /// Records that the bot read up to `event` in `room`; true if nothing was waiting before,
    /// so a flush is to be scheduled.
    mutating func read(_ event: MatrixEventID, in room: MatrixRoomID) -> Bool {
        let first = newest.isEmpty
        newest[room] = event
        return first
    }

    /// What to mark read now, by room; nothing waits afterwards.
    mutating func take() -> [(room: MatrixRoomID, event: MatrixEventID)] {
        defer { newest.removeAll() }
        return newest.sorted { $0.key < $1.key }.map { (room: $0.key, event: $0.value) }
    }
}
