public import Logging

/// Storage off the hot path. Writes (`append`, `record`) return at once and are written in order
/// by one worker (`run()`); reads and removals take their turn in the same queue, so they see
/// every write queued before them and no write queued after. `flush()` returns once everything
/// queued so far is written. A disk that stalls stalls the worker, never the bot's inbound loop:
/// every network keeps answering meanwhile. Transcript lines queued one after another are
/// handed to the store together (`append(contentsOf:)`: one transaction in SQLite), so a burst
/// costs the disk a commit per batch, not per line.
///
/// The bot wraps its store in one, runs the worker among its tasks, and flushes before it stops.
public actor WriteBehindStore: ConversationStore {
    private let base: any ConversationStore
    private let logger: Logger
    private typealias Work = @Sendable (any ConversationStore) async -> Void
    private enum Operation {
        case work(Work)
        /// Lines to append; later lines join while it waits at the end of the queue.
        case lines([StoredLine])
    }
    private var queue: [Operation] = []
    private var head = 0
    private var wake: CheckedContinuation<Void, Never>?

    public init(_ base: any ConversationStore, logger: Logger) {
        self.base = base
        self.logger = logger
    }

    /// Operations queued and not yet done.
    public var backlog: Int { queue.count - head }

    /// The worker: performs the queued operations in order, until cancelled while nothing is
    /// queued. (Cancelled with work queued, it goes on: a cancelled write could lose data, so the
    /// bot flushes first and cancels only an empty queue.)
    public func run() async {
        while true {
            if head < queue.count {
                let operation = queue[head]
                head += 1
                if head > 64 && head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
                switch operation {
                case .work(let work):
                    await work(base)
                case .lines(let lines):
                    await appendLines(lines)
                }
                continue
            }
            if Task.isCancelled { return }
            await withTaskCancellationHandler {
                await withCheckedContinuation { wake = $0 }
            } onCancel: {
                Task { await self.wakeWorker() }
            }
        }
    }

    private func wakeWorker() {
        wake?.resume()
        wake = nil
    }

    private func enqueue(_ work: @escaping Work) {
        queue.append(.work(work))
        wakeWorker()
    }

    private func appendLines(_ lines: [StoredLine]) async {
        do {
            try await base.append(contentsOf: lines)
        } catch {
            logger.error("could not store \(lines.count) transcript entries; they are kept in memory only",
                         metadata: ["bot.session": "\(lines[0].session)", "error": "\(error)"])
        }
    }

    /// Returns once everything queued before the call is written.
    public func flush() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            enqueue { _ in done.resume() }
        }
    }

    /// Queues `body` and waits for its result.
    private func perform<T: Sendable>(_ body: @escaping @Sendable (any ConversationStore) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (result: CheckedContinuation<T, any Error>) in
            enqueue { base in
                do {
                    result.resume(returning: try await body(base))
                } catch {
                    result.resume(throwing: error)
                }
            }
        }
    }

    // MARK: - ConversationStore

    public func entries(of session: SessionKey, limit: Int) async throws -> [ContextEntry] {
        try await perform { try await $0.entries(of: session, limit: limit) }
    }

    public func append(_ entry: ContextEntry, to session: SessionKey) {
        let line = StoredLine(entry, of: session)
        // Joins the lines at the end of the queue if the worker has not taken them yet.
        if queue.count > head, case .lines(var lines) = queue[queue.count - 1] {
            queue[queue.count - 1] = .lines([])  // the queue's reference gone, the append does not copy
            lines.append(line)
            queue[queue.count - 1] = .lines(lines)
        } else {
            queue.append(.lines([line]))
            wakeWorker()
        }
    }

    /// Queues a write that nobody waits for; a failure is logged (what was written stays in memory).
    private func write(_ what: String, of session: SessionKey, _ body: @escaping @Sendable (any ConversationStore) async throws -> Void) {
        let logger = self.logger
        enqueue { base in
            do {
                try await body(base)
            } catch {
                logger.error("could not store \(what); it is kept in memory only",
                             metadata: ["bot.session": "\(session)", "error": "\(error)"])
            }
        }
    }

    public func clear(_ session: SessionKey) async throws {
        try await perform { try await $0.clear(session) }
    }

    public func forget(_ user: UserID, on network: NetworkID) async throws -> Int {
        try await perform { try await $0.forget(user, on: network) }
    }

    public func edit(_ message: MessageID, in channel: ChannelKey, by author: UserID, text: String) async throws -> Int {
        try await perform { try await $0.edit(message, in: channel, by: author, text: text) }
    }

    public func redact(_ message: MessageID, in channel: ChannelKey) async throws -> Int {
        try await perform { try await $0.redact(message, in: channel) }
    }

    public func summary(of session: SessionKey) async throws -> ConversationSummary? {
        try await perform { try await $0.summary(of: session) }
    }

    public func saveSummary(_ summary: ConversationSummary, of session: SessionKey) {
        write("a summary", of: session) { try await $0.saveSummary(summary, of: session) }
    }

    public func notes(of user: UserID, on network: NetworkID) async throws -> [PersonNote] {
        try await perform { try await $0.notes(of: user, on: network) }
    }

    public func addNote(_ note: PersonNote, for user: UserID, on network: NetworkID) async throws {
        try await perform { try await $0.addNote(note, for: user, on: network) }
    }

    public func removeNotes(of user: UserID, on network: NetworkID, containing text: String) async throws -> Int {
        try await perform { try await $0.removeNotes(of: user, on: network, containing: text) }
    }

    /// In turn, after every write queued before it.
    public func erase() async throws {
        try await perform { try await $0.erase() }
    }

    public func record(_ event: ModerationEvent) {
        let logger = self.logger
        enqueue { base in
            do {
                try await base.record(event)
            } catch {
                logger.error("could not store a moderation event", metadata: ["error": "\(error)"])
            }
        }
    }
}
