import ParleyCore

/// The replies the connector has taken from the core but the homeserver has not yet
/// acknowledged, counted per question.
///
/// A reply's send runs beside the session that wrote it, so the next question can be answered
/// while it is in flight; the question itself is settled (stored as handled) only once its
/// last send is acknowledged, so a crash in between replays the question, and the reply's
/// transaction id makes the homeserver post it once.
struct SendsInFlight {
    /// Sends started and not yet ended, questions or not.
    private(set) var count = 0
    private var perQuestion: [MatrixEventID: Int] = [:]
    /// Questions the core settled while one of their sends was still in flight.
    private var settleWhenSent: [MatrixEventID: InboundMessage] = [:]

    var isEmpty: Bool { count == 0 }

    /// Whether a send for `question` is in flight.
    func isOpen(_ question: MatrixEventID) -> Bool { perQuestion[question] != nil }

    mutating func started(answering question: MatrixEventID?) {
        count += 1
        if let question { perQuestion[question, default: 0] += 1 }
    }

    /// The send ended (acknowledged or given up): returns the question to settle now, if the
    /// core settled it while this was its last send in flight.
    mutating func ended(answering question: MatrixEventID?) -> InboundMessage? {
        count -= 1
        guard let question, let open = perQuestion[question] else { return nil }
        guard open == 1 else {
            perQuestion[question] = open - 1
            return nil
        }
        perQuestion[question] = nil
        return settleWhenSent.removeValue(forKey: question)
    }

    /// The core is done with `message`: true if it can be settled now, false if it waits for
    /// its sends (and comes back from `ended`).
    mutating func settle(_ message: InboundMessage, id: MatrixEventID) -> Bool {
        guard perQuestion[id] != nil else { return true }
        settleWhenSent[id] = message
        return false
    }
}
