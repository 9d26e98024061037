/// The sync loop's bookkeeping, a value so that its rules are tested without a homeserver:
///
/// - an event is *admitted* once (not handled, not pending), recorded as pending before the
///   sync position moves past it, and *settled* when the bot is done with it;
/// - the position (`since`) moves only after a batch's events are admitted, so a crash between
///   a sync and its handling replays the batch instead of losing it;
/// - settled ids are remembered (the newest `capacity`), so a replayed or overlapping batch,
///   or a gap filled from `/messages`, never answers an event twice.
struct SyncLedger: Sendable {
    private(set) var since: String?
    private(set) var pending: [MatrixEventID: MatrixSavedState.Pending] = [:]
    /// Admission order of the pending events, for replay in order.
    private var pendingOrder: [MatrixEventID] = []
    private var handled: Set<MatrixEventID> = []
    private var handledOrder: [MatrixEventID] = []
    private let capacity: Int

    init(_ saved: MatrixSavedState = MatrixSavedState(), capacity: Int = 20_000) {
        self.capacity = max(1, capacity)
        since = saved.since
        for item in saved.pending where pending[item.eventID] == nil {
            pending[item.eventID] = item
            pendingOrder.append(item.eventID)
        }
        for id in saved.handled { remember(id) }
    }

    /// Whether the bot has never seen this event (neither pending nor handled).
    func isNew(_ eventID: MatrixEventID) -> Bool {
        pending[eventID] == nil && !handled.contains(eventID)
    }

    func isHandled(_ eventID: MatrixEventID) -> Bool { handled.contains(eventID) }

    /// Takes an event for handling; false if it was seen before.
    mutating func admit(_ item: MatrixSavedState.Pending) -> Bool {
        guard isNew(item.eventID) else { return false }
        pending[item.eventID] = item
        pendingOrder.append(item.eventID)
        return true
    }

    /// Marks an event done; false if it was not pending (already settled, or never admitted).
    @discardableResult
    mutating func settle(_ eventID: MatrixEventID) -> Bool {
        let wasPending = pending.removeValue(forKey: eventID) != nil
        if wasPending { pendingOrder.removeAll { $0 == eventID } }
        remember(eventID)
        return wasPending
    }

    /// Moves the sync position; call after the batch's events are admitted and stored.
    mutating func advance(to token: String) {
        since = token
    }

    /// The pending events in the order they were admitted.
    var pendingInOrder: [MatrixSavedState.Pending] { pendingOrder.compactMap { pending[$0] } }

    private mutating func remember(_ eventID: MatrixEventID) {
        guard handled.insert(eventID).inserted else { return }
        handledOrder.append(eventID)
        if handledOrder.count > capacity + capacity / 4 {
            let excess = handledOrder.count - capacity
            for old in handledOrder.prefix(excess) { handled.remove(old) }
            handledOrder.removeFirst(excess)
        }
    }
}
