/// The bot's accounting of work in progress, as a value.
///
/// Every piece of work on an inbound message (handling it, a command, a queued reply) is begun
/// here and ended here. A message is settled when its last piece ends; the bot is idle when no
/// piece is in progress. Ending is two steps, so that the bot cannot look idle while it is still
/// telling a connector that a message is settled: `finishing` says whether to settle the message
/// now, `finished` (after the settling) ends the piece and says whether the bot became idle.
struct WorkLedger: Sendable {
    /// Pieces of work begun and not finished.
    private(set) var pending = 0
    /// For each message, its pieces begun and not yet finishing.
    private var open: [MessageID: Int] = [:]

    var isIdle: Bool { pending == 0 }

    /// Messages with work still open.
    var unsettledMessages: Int { open.count }

    /// A piece of work on `message` begins.
    mutating func begin(_ message: MessageID) {
        pending += 1
        open[message, default: 0] += 1
    }

    /// A piece begun that will not run after all (a full queue). Another piece on the message is
    /// still open (the handling of it), so this never settles the message or makes the bot idle.
    mutating func withdraw(_ message: MessageID) {
        _ = finishing(message)
        pending = max(0, pending - 1)
    }

    /// A piece of work on `message` is ending: true when it was the message's last, so the
    /// message is to be settled now.
    mutating func finishing(_ message: MessageID) -> Bool {
        guard let count = open[message] else { return false }
        if count > 1 {
            open[message] = count - 1
            return false
        }
        open[message] = nil
        return true
    }

    /// The piece has ended (after its message was settled, if it was the last): true when
    /// nothing is in progress any more.
    mutating func finished() -> Bool {
        pending = max(0, pending - 1)
        return pending == 0
    }
}
