/// Tasks parked until something happens, kept by the actor that makes it happen. A waiter whose
/// task is cancelled leaves the list (the actor calls `leave` from its cancellation handler), so
/// no continuation is ever left hanging.
struct WaitList {
    private var next = 0
    private var waiting: [Int: CheckedContinuation<Void, Never>] = [:]

    /// A ticket for the next waiter.
    mutating func ticket() -> Int {
        next += 1
        return next
    }

    mutating func park(_ ticket: Int, _ continuation: CheckedContinuation<Void, Never>) {
        waiting[ticket] = continuation
    }

    /// Lets one waiter go (its task was cancelled).
    mutating func leave(_ ticket: Int) {
        waiting.removeValue(forKey: ticket)?.resume()
    }

    /// Lets every waiter go.
    mutating func releaseAll() {
        for continuation in waiting.values { continuation.resume() }
        waiting.removeAll()
    }
}
