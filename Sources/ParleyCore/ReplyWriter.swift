import Foundation

/// Delivers one streamed reply the way its connector wants it, passing every part through the
/// outbound moderation hooks first. Made by the `Outbox`, which addresses it.
///
/// - `.fragments`: every piece as it comes, then an end marker.
/// - `.lines`: each line as soon as its line feed arrives; the rest at the end.
/// - `.whole`: once, at the end.
/// - `.edits`: the first text as a draft once the reply has been under way for the hold (at once
///   by default), then drafts with the whole reply so far no more often than the interval, and
///   the complete reply as the last part, always.
///
/// A hook that stops a part stops the rest of the reply.
struct ReplyWriter {
    let connector: any Connector
    let outbound: ModerationPipeline
    /// Channel, thread, style and recipient of every message sent; `text` and `part` are set per part.
    let template: OutboundMessage
    let review: OutboundReview
    let clock: any MonotonicClock
    /// Called with every verdict other than allow, for the log.
    let report: @Sendable (ModerationVerdict, _ hook: String) async -> Void

    private var pending = ""
    /// What reached the channel, after moderation: what the transcript records.
    private(set) var delivered = ""
    private(set) var stopped = false
    private var sentFragments = false
    /// When the last draft went out (edits mode).
    private var lastDraft: Duration?
    /// When the first piece of the reply arrived (edits mode).
    private var started: Duration?

    init(
        connector: any Connector,
        outbound: ModerationPipeline,
        template: OutboundMessage,
        review: OutboundReview,
        clock: any MonotonicClock,
        report: @escaping @Sendable (ModerationVerdict, String) async -> Void
    ) {
        self.connector = connector
        self.outbound = outbound
        self.template = template
        self.review = review
        self.clock = clock
        self.report = report
    }

    var hasDelivered: Bool { !delivered.isEmpty }

    /// Takes the next piece of the reply; false once the reply has been stopped.
    mutating func write(_ text: String) async throws -> Bool {
        guard !stopped else { return false }
        switch connector.capabilities.streaming {
        case .fragments:
            try await deliver(text, part: .fragment)
        case .lines:
            pending += text
            while !stopped, let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending = String(pending[pending.index(after: newline)...])
                try await deliverLine(line)
            }
        case .whole:
            pending += text
        case .edits(let interval, let hold):
            pending += text
            let now = clock.now()
            if started == nil { started = now }
            let draft = pending.trimmingCharacters(in: .whitespacesAndNewlines)
            let due = lastDraft.map { now - $0 >= interval } ?? (now - started! >= hold)
            if !draft.isEmpty, due {
                lastDraft = now
                try await deliver(draft, part: .draft)
            }
        }
        return !stopped
    }

    /// Sends `text` as one complete message, whatever the streaming mode; false when a hook
    /// stopped it.
    mutating func sendWhole(_ text: String) async throws -> Bool {
        try await deliver(text, part: .complete)
        return !stopped && hasDelivered
    }

    /// Sends what is still held back.
    mutating func finish() async throws {
        switch connector.capabilities.streaming {
        case .fragments:
            guard sentFragments else { return }
            try await send(message(text: "", part: .end))
        case .lines:
            try await deliverLine(pending)
        case .whole, .edits:
            let text = pending.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { try await deliver(text, part: .complete) }
        }
        pending = ""
    }

    /// Ends a reply that will not be finished (cancelled), closing an open fragment stream.
    mutating func abandon() async {
        pending = ""
        stopped = true
        if sentFragments { try? await connector.send(message(text: "", part: .end)) }
    }

    private mutating func deliverLine(_ line: String) async throws {
        let line = line.trimmingCharacters(in: .whitespaces)
        guard !line.isEmpty else { return }
        try await deliver(line, part: .complete)
    }

    private mutating func deliver(_ text: String, part: OutboundMessage.Part) async throws {
        guard !stopped else { return }
        switch await outbound.review(draft: text, review) {
        case .stop(let verdict, let hook):
            stopped = true
            await report(verdict, hook)
        case .proceed(let text, let rewrites):
            for rewrite in rewrites { await report(.rewrite(text, reason: rewrite.reason), rewrite.hook) }
            guard !text.isEmpty else { return }
            try await send(message(text: text, part: part))
            if part == .fragment { sentFragments = true }
            if case .edits = connector.capabilities.streaming {
                delivered = text  // each part replaces the one before
                return
            }
            if !delivered.isEmpty && part == .complete { delivered += "\n" }
            delivered += text
        }
    }

    private func send(_ message: OutboundMessage) async throws {
        do {
            try await connector.send(message)
            // A message people see as one: a line or a whole reply, not each streamed piece or edit.
            if message.part == .complete || message.part == .end {
                ParleyMetric.messagesSent.increment([("network", connector.network.rawValue)])
            }
        } catch {
            throw DeliveryError(underlying: error)
        }
    }

    private func message(text: String, part: OutboundMessage.Part) -> OutboundMessage {
        var message = template
        message.text = text
        message.part = part
        return message
    }
}

/// The connector could not deliver part of a reply; unlike a backend failure, another backend
/// would not help.
struct DeliveryError: Error {
    var underlying: any Error
}

extension DeliveryError {
    /// What the asker is told when their answer could not be delivered.
    static let userMessage = BotSentence.undelivered.text(in: .english)
}
