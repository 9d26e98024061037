import Foundation
import Logging

/// One conversation context: a channel, or a person or thread in it, as the channel's scope says.
///
/// It keeps the transcript, answers one message at a time, and lets at most
/// `policy.queueLimit` more wait meanwhile. `run()` is its worker; the bot runs it as a child
/// task and ends it by finishing the job stream (eviction) or by cancellation (shutdown).
actor ChannelSession {
    struct Job: Sendable {
        var message: InboundMessage
        var sequence: Int
        var epoch: Int
        /// When the question was queued, on the environment's clock.
        var queuedAt: Duration
    }

    nonisolated let key: SessionKey
    /// Whether the conversation is a direct one, which the channel's policy may depend on.
    nonisolated let isDirect: Bool
    private(set) var policy: ChannelPolicy
    private var environment: SessionEnvironment
    private var entries: [(sequence: Int, entry: ContextEntry)] = []
    /// Each entry's token count, by sequence then backend: an entry is counted once per backend,
    /// not once per request.
    private var tokenCounts: [Int: [BackendName: Int]] = [:]
    private var nextSequence = 0
    /// Raised by a reset: jobs from an earlier epoch are skipped.
    private var epoch = 0
    private let jobs: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    /// Whether a reply is being generated now.
    private var answering = false
    /// The reply in progress, waiting for a reset to cut it short.
    private let resets = WaitList()
    private(set) var queued = 0
    /// The sequences of the questions queued and not yet answered, oldest first: the transcript
    /// keeps them (and what follows) past the history limit until their turn has come.
    private var waitingQuestions: [Int] = []
    private var restored = false
    /// The conversation's rolling summary, and the sequence of the newest entry it covers
    /// (`Int.min`: none); entries up to it are no longer sent. Lines put back from storage take
    /// sequences below the first in memory, so these may be negative.
    private var summary: ConversationSummary?
    private var summarizedThrough = Int.min
    /// The oldest entry the last prompt carried: older ones after `summarizedThrough` wait to be
    /// folded into the summary.
    private var promptFloor = Int.min
    /// The summariser at work, if any.
    private var folding: Task<Void, Never>?
    /// Whether lines were let go unsummarised (said once until a summary is made again).
    private var warnedOfLoss = false
    /// Raised whenever the transcript changes under a summary being made (reset, forget, edit,
    /// redaction): a summary begun before is thrown away.
    private var memoryVersion = 0
    /// When the session last took a message, for least-recently-used eviction.
    private(set) var lastUsed: Duration

    init(key: SessionKey, isDirect: Bool, policy: ChannelPolicy, environment: SessionEnvironment, now: Duration) {
        self.key = key
        self.isDirect = isDirect
        self.policy = policy
        self.environment = environment
        self.lastUsed = now
        (jobs, continuation) = AsyncStream.makeStream(of: Job.self)
    }

    var isGenerating: Bool { answering }
    var isIdle: Bool { !answering && queued == 0 }
    var entryCount: Int { entries.count }

    /// The distinct names of people in the transcript.
    var knownNames: [String] {
        var seen = Set<String>()
        return entries.compactMap { $0.entry.role == .user ? $0.entry.speakerName : nil }
            .filter { seen.insert($0.lowercased()).inserted }
    }

    /// The transcript's last `count` lines, `name: text`, for a ticket.
    func recentLines(_ count: Int) -> [String] {
        entries.suffix(count).map { ($0.entry.role == .user ? $0.entry.speakerName : "bot") + ": " + $0.entry.text }
    }

    /// Takes a reloaded policy and environment for the jobs after the one in progress.
    func reconfigure(policy: ChannelPolicy, environment: SessionEnvironment) {
        self.policy = policy
        self.environment = environment
    }

    /// Appends a line to the transcript (and to storage); returns its sequence number.
    @discardableResult
    func record(_ entry: ContextEntry, now: Duration) async -> Int {
        await restoreIfNeeded()
        lastUsed = now
        let sequence = nextSequence
        nextSequence += 1
        entries.append((sequence, entry))
        trimHistory()
        do {
            try await environment.store?.append(entry, to: key)
        } catch {
            environment.logger.error(
                "could not store a transcript entry; it is kept in memory only",
                metadata: ["bot.session": "\(key)", "error": "\(error)"])
        }
        return sequence
    }

    /// Lets go of entries beyond the history limit. Where the channel summarises, an entry stays
    /// until the summary covers it, up to four times the limit (a summariser that keeps failing
    /// must not grow the transcript without end).
    private func trimHistory() {
        let limit = policy.historyLimit
        guard entries.count > limit else { return }
        var excess = entries.count - limit
        if policy.memory.summarizes {
            let summarized = entries.prefix { $0.sequence <= summarizedThrough }.count
            excess = max(min(excess, summarized), entries.count - limit * 4)
            if entries.count - limit * 4 > summarized, !warnedOfLoss {
                warnedOfLoss = true
                environment.logger.warning(
                    "lines left the context before they could be summarised",
                    metadata: ["bot.session": "\(key)", "memory.lost": "\(entries.count - limit * 4 - summarized)"])
            }
        }
        // Never a question still waiting for its answer: it would be answered without itself.
        // (The queue limit bounds what this keeps.)
        if let oldestWaiting = waitingQuestions.first {
            excess = min(excess, entries.prefix { $0.sequence < oldestWaiting }.count)
        }
        guard excess > 0 else { return }
        for dropped in entries.prefix(excess) { tokenCounts[dropped.sequence] = nil }
        entries.removeFirst(excess)
    }

    /// Records the message and queues a reply to it; false when the queue is full (the message
    /// is then neither recorded nor answered, and the sender should be told the bot is busy).
    func enqueue(_ message: InboundMessage, prompt: String, now: Duration) async -> Bool {
        let waitingOrRunning = queued + (answering ? 1 : 0)
        guard waitingOrRunning <= policy.queueLimit else { return false }
        queued += 1
        ParleyMetric.queuedQuestions.adjust(by: 1)
        let entry = ContextEntry(
            role: .user, speaker: message.sender.id, speakerName: message.sender.displayName,
            text: prompt, time: message.time, messageID: message.id)
        let sequence = await record(entry, now: now)
        waitingQuestions.insert(sequence, at: waitingQuestions.firstIndex { $0 > sequence } ?? waitingQuestions.endIndex)
        continuation.yield(Job(message: message, sequence: sequence, epoch: epoch, queuedAt: now))
        return true
    }

    /// Clears the context in memory and storage, drops waiting jobs and cancels the reply in
    /// progress.
    func reset() async {
        epoch += 1
        entries.removeAll()
        waitingQuestions.removeAll()
        tokenCounts.removeAll()
        dropSummary()
        restored = true
        resets.releaseAll()
        do {
            try await environment.store?.clear(key)
        } catch {
            environment.logger.error(
                "could not clear the stored context", metadata: ["bot.session": "\(key)", "error": "\(error)"])
        }
    }

    /// Removes the entries that concern `user` from memory, and the summary if it was made from
    /// their lines; returns how many entries. The store has forgotten them already: a dropped
    /// summary is made again from what it still keeps, by the next reply.
    func forget(_ user: UserID) async -> Int {
        let removed = remove { $0.concerns(user) }
        if summary?.users.contains(user) == true {
            dropSummary()
            await loadStored()
        }
        return removed
    }

    /// `author`'s line `message` edited: its text replaced, the summary dropped if it covered it.
    func edit(_ message: MessageID, by author: UserID, text: String) {
        for index in entries.indices
        where entries[index].entry.messageID == message && entries[index].entry.role == .user && entries[index].entry.speaker == author {
            if entries[index].sequence <= summarizedThrough { dropSummary() }
            entries[index].entry.text = text
            tokenCounts[entries[index].sequence] = nil
        }
    }

    /// A line redacted: it and the bot's answer to it removed, the summary dropped if it covered them.
    func redact(_ message: MessageID) {
        if entries.contains(where: { $0.entry.messageID == message && $0.sequence <= summarizedThrough }) { dropSummary() }
        _ = remove { $0.messageID == message }
    }

    private func remove(where matches: (ContextEntry) -> Bool) -> Int {
        let before = entries.count
        entries.removeAll { matches($0.entry) }
        let kept = Set(entries.map(\.sequence))
        tokenCounts = tokenCounts.filter { kept.contains($0.key) }
        return before - entries.count
    }

    /// The summary of the conversation so far, if one was made.
    var currentSummary: ConversationSummary? {
        get async {
            await restoreIfNeeded()
            return summary
        }
    }

    /// Forgets the summary (in memory; the store drops its own copy in the same operation) and
    /// stops one being made, so that what is left is folded again.
    private func dropSummary() {
        summary = nil
        summarizedThrough = Int.min
        promptFloor = Int.min
        memoryVersion += 1
        folding?.cancel()
        folding = nil
    }

    /// Ends the worker once the queued jobs are done.
    func close() {
        continuation.finish()
    }

    /// Waits for the summariser, if it is at work (tests, shutdown).
    func summarized() async {
        await folding?.value
    }

    /// The worker: answers queued messages one at a time until closed or cancelled. Each reply
    /// is a child task, cut short by a reset (`!reset`) or by the worker's own cancellation
    /// (shutdown past the drain time).
    func run() async {
        for await job in jobs {
            queued -= 1
            ParleyMetric.queuedQuestions.adjust(by: -1)
            if job.epoch == epoch && !Task.isCancelled {
                answering = true
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.answer(job) }
                    let resetsSoFar = resets.generation
                    group.addTask { await self.untilReset(of: job.epoch, since: resetsSoFar) }
                    await group.next()
                    group.cancelAll()
                }
                answering = false
            }
            waitingQuestions.removeAll { $0 == job.sequence }
            await environment.jobFinished(job.message)
        }
    }

    /// Returns once the context of `epoch` has been reset, or when the task is cancelled (the
    /// reply ended first).
    private func untilReset(of epoch: Int, since generation: Int) async {
        guard epoch == self.epoch else { return }
        await resets.wait(since: generation)
    }

    private func restoreIfNeeded() async {
        guard !restored else { return }
        restored = true
        await loadStored()
        guard policy.memory.summarizes, let store = environment.store else { return }
        do {
            if let saved = try await store.summary(of: key) {
                summary = saved
                summarizedThrough = entries.last { $0.entry.time <= saved.through }?.sequence ?? Int.min
            }
        } catch {
            environment.logger.error("could not restore the summary", metadata: ["bot.session": "\(key)", "error": "\(error)"])
        }
    }

    /// Puts the stored lines older than those in memory back in front of them: after a restart,
    /// and when a dropped summary must be made again from what storage keeps. Where the channel
    /// summarises, up to four times the history limit (the older ones are folded, not sent).
    private func loadStored() async {
        guard let store = environment.store else { return }
        let inMemory = entries.count
        let limit = policy.memory.summarizes ? policy.historyLimit * 4 : policy.historyLimit
        do {
            // The store has every line in memory (its reads wait for the writes queued before);
            // the newest `inMemory` it returns are those.
            let stored = try await store.entries(of: key, limit: max(limit, inMemory))
            let older = stored.dropLast(min(inMemory, stored.count)).suffix(max(0, limit - inMemory))
            let first = entries.first?.sequence ?? nextSequence
            entries = older.enumerated().map { (first - older.count + $0.offset, $0.element) } + entries
        } catch {
            environment.logger.error(
                "could not restore the stored context; going on with what is in memory",
                metadata: ["bot.session": "\(key)", "error": "\(error)"])
        }
    }

    // MARK: - Generating a reply

    private func answer(_ job: Job) async {
        defer { answering = false }
        let transcript = entries.filter { $0.sequence <= job.sequence }
        let message = job.message
        var systemPrompt = await environment.context.systemPrompt(policy.systemPrompt, for: message)
        if policy.memory.notes {
            do {
                let notes = try await environment.store?.notes(of: message.sender.id, on: key.channel.network) ?? []
                systemPrompt = PersonNote.appended(notes, about: message.sender.displayName, to: systemPrompt)
            } catch {
                environment.logger.error("could not read a person's notes", metadata: ["bot.session": "\(key)", "error": "\(error)"])
            }
        }
        if Task.isCancelled { return }
        if let notice = policy.privacyNotice, await environment.privacyNoticeDue(key.channel) {
            await say(notice, to: message)
        }
        // A customer's first question in a helpdesk: the greeting and the privacy notice first.
        if let helpdesk = policy.helpdesk, transcript.count <= 1 {
            for line in [helpdesk.greeting, helpdesk.privacyNotice].compactMap({ $0 }) { await say(line, to: message) }
        }
        var passages: [KnowledgePassage]?
        if let knowledge = policy.knowledge {
            let question = transcript.last?.entry.text ?? message.body
            switch await ground(question, in: knowledge) {
            case .answer(let text, let knew):
                await deliverWhole(text, to: message)
                await environment.knowledgeOutcome(message, knew)
                return
            case .passages(let found):
                passages = found
            }
        }
        var failure: (any Error)?
        let chain = [policy.backend] + policy.fallbacks
        for (position, name) in chain.enumerated() {
            guard let backend = environment.backends[name] else {
                failure = GenerationError.unknownBackend(name)
                continue
            }
            // A backend that just failed sits out its cooldown while another in the chain can
            // answer at once; the last one left is asked anyway (waiting would answer nobody).
            guard await environment.breaker.take(name) || position == chain.count - 1 else {
                if failure == nil { failure = GenerationError.backendResting(name) }
                continue
            }
            guard var writer = await environment.outbox.writer(to: .reply(to: message), names: knownNames) else { return }
            do {
                let markers = try await generate(
                    with: backend, systemPrompt: systemPrompt, passages: passages, transcript: transcript, into: &writer)
                if Task.isCancelled {
                    await writer.abandon()
                    return
                }
                try await writer.finish()
                await environment.breaker.succeeded(name)
                await finishReply(writer, to: message)
                if policy.knowledge != nil { await environment.knowledgeOutcome(message, true) }
                if markers.contains(HandoffMarker.word) { await environment.handoffRequested(message) }
                if writer.hasDelivered {
                    let network = [("network", key.channel.network.rawValue)]
                    ParleyMetric.replyLatency.record((environment.clock.now() - job.queuedAt).inSeconds, network)
                    if name != policy.backend { ParleyMetric.backendFallbacks.increment([("backend", name.rawValue)]) }
                }
                if name != policy.backend && policy.announcesFallback && writer.hasDelivered {
                    await say(policy.text(.fallbackUsed(backend: policy.backend.rawValue, fallback: name.rawValue)), to: message)
                }
                return
            } catch is CancellationError {
                await writer.abandon()
                return
            } catch let error as DeliveryError {
                environment.logger.error(
                    "could not deliver a reply", metadata: ["bot.session": "\(key)", "error": "\(error.underlying)"])
                await finishReply(writer, to: message)
                // Never lose a reply silently: the asker hears that it did not get through
                // (if the network takes even that).
                await say(policy.text(.undelivered), to: message)
                return
            } catch {
                ParleyMetric.backendErrors.increment([("backend", name.rawValue)])
                let rest = await environment.breaker.failed(name)
                environment.logger.log(
                    level: (error as? GenerationError)?.sentence == .unavailable ? .error : .warning,
                    "generation failed; the backend is not asked again for a while",
                    metadata: ["bot.session": "\(key)", "gen.backend": "\(name)", "gen.rest_s": "\(rest.components.seconds)", "error": "\(error)"])
                failure = error
                // Text already shown cannot be taken back: a fallback would answer twice.
                if writer.hasDelivered {
                    await writer.abandon()
                    await finishReply(writer, to: message)
                    break
                }
            }
        }
        // The generation errors' sentence in the channel's language; other errors say their own.
        let sentence = if let failure = failure as? GenerationError {
            policy.text(failure.sentence)
        } else {
            (failure as? any UserPresentableError)?.userMessage ?? policy.text(.noAnswer)
        }
        await say(sentence, to: message)
    }

    /// What a channel's knowledge makes of a question: an answer without the model (an FAQ
    /// match, or "don't know" when no passage scores `minScore`), or the passages to answer from.
    private enum Grounding {
        /// `knew`: an FAQ answer (true) or "don't know" (false).
        case answer(String, knew: Bool)
        case passages([KnowledgePassage])
    }

    private func ground(_ question: String, in knowledge: KnowledgePolicy) async -> Grounding {
        if let answer = knowledge.faq?.answer(to: question) { return .answer(answer, knew: true) }
        let found: [KnowledgePassage]
        do {
            found = try await environment.knowledge?.search(question, in: knowledge.paths, limit: knowledge.topK) ?? []
        } catch {
            environment.logger.error("could not search the knowledge base", metadata: ["bot.session": "\(key)", "error": "\(error)"])
            return .answer(policy.text(.dontKnow), knew: false)
        }
        guard let best = found.first, best.coverage >= knowledge.minScore else {
            environment.logger.info("no passage answers the question; said so without generating", metadata: [
                "bot.session": "\(key)", "knowledge.coverage": "\(found.first?.coverage ?? 0)"])
            return .answer(policy.text(.dontKnow), knew: false)
        }
        return .passages(found)
    }

    /// A whole reply that is not the model's (an FAQ answer, "don't know"), sent and recorded
    /// in the transcript like one.
    private func deliverWhole(_ text: String, to message: InboundMessage) async {
        guard var writer = await environment.outbox.writer(to: .reply(to: message), names: knownNames) else { return }
        do {
            _ = try await writer.write(text)
            try await writer.finish()
        } catch {
            environment.logger.error("could not deliver a reply", metadata: ["bot.session": "\(key)", "error": "\(error)"])
        }
        await finishReply(writer, to: message)
    }

    /// A sentence of the bot's own to the asker, through the outbox.
    private func say(_ text: String, to message: InboundMessage) async {
        await environment.outbox.say(text, to: .reply(to: message), names: knownNames)
    }

    /// Streams a reply into `writer`; returns the markers the model wrote (`[handoff]`), which
    /// are not sent.
    private func generate(
        with backend: any GenerationBackend, systemPrompt: String, passages: [KnowledgePassage]?,
        transcript: [(sequence: Int, entry: ContextEntry)], into writer: inout ReplyWriter
    ) async throws -> Set<String> {
        var systemPrompt = systemPrompt
        var citations: CitationFilter?
        if policy.helpdesk != nil {
            systemPrompt += "\n\n" + HandoffMarker.instructions
            citations = CitationFilter(titles: [], markers: [HandoffMarker.word], removesUnknown: false)
        }
        if let passages {
            // The passages may take half of what the window leaves for the prompt; the rest is
            // the conversation's.
            let room = (backend.contextWindow - policy.parameters.maxTokens) / 2
            let count = { (text: String) in backend.tokenCount(of: ChatMessage(role: .system, content: text)) }
            guard let grounded = GroundedPrompt.prompt(systemPrompt, passages: passages, maxTokens: room, count: count) else {
                throw GenerationError.backendFailed(backend: backend.name, detail: "its context window has no room for a passage")
            }
            systemPrompt = grounded.prompt
            citations = CitationFilter(
                titles: grounded.used.map(\.title), markers: policy.helpdesk == nil ? [] : [HandoffMarker.word])
        }
        if let summary { systemPrompt = summary.appended(to: systemPrompt) }
        let budget = TokenBudget(
            contextWindow: backend.contextWindow, replyTokens: policy.parameters.maxTokens, countScale: backend.countScale)
        let unsummarized = transcript.filter { $0.sequence > summarizedThrough }.suffix(policy.historyLimit)
        let system = ChatMessage(role: .system, content: systemPrompt)
        let kept = budget.keptCount(
            systemTokens: backend.tokenCount(of: system), costs: unsummarized.map { tokens(of: $0, on: backend) })
        let sent = unsummarized.suffix(kept)
        let messages = [system] + sent.map(\.entry.chatMessage)
        if policy.memory.summarizes, let oldest = sent.first?.sequence {
            promptFloor = max(promptFloor, oldest)
            foldIfNeeded()
        }
        let request = GenerationRequest(
            messages: messages, parameters: policy.parameters, conversation: key.description)
        var markers: Set<String> = []
        try await environment.limiter.acquire()
        do {
            let clock = environment.clock
            let started = clock.now()
            var firstToken: Duration?
            var tokens = 0
            for try await chunk in backend.stream(request) {
                if !chunk.text.isEmpty {
                    tokens += 1
                    if firstToken == nil { firstToken = clock.now() }
                }
                let text = citations?.feed(chunk.text) ?? chunk.text
                guard try await writer.write(text), !Task.isCancelled else { break }
            }
            if var filter = citations {
                _ = try await writer.write(filter.finish())
                if !filter.removed.isEmpty {
                    environment.logger.notice("removed citations of passages the model was not given", metadata: [
                        "bot.session": "\(key)", "knowledge.removed": "\(filter.removed.joined(separator: " | "))"])
                }
                markers = filter.markersSeen
            }
            await environment.limiter.release()
            let labels = [("backend", backend.name.rawValue)]
            ParleyMetric.generatedTokens.increment(by: tokens, labels)
            if let firstToken {
                ParleyMetric.timeToFirstToken.record((firstToken - started).inSeconds, labels)
                let streaming = (clock.now() - firstToken).inSeconds
                if tokens > 1 && streaming > 0 { ParleyMetric.tokensPerSecond.record(Double(tokens - 1) / streaming, labels) }
            }
        } catch {
            await environment.limiter.release()
            throw error
        }
        return markers
    }

    /// The entry's token count on `backend`, counted the first time it is asked for.
    private func tokens(of item: (sequence: Int, entry: ContextEntry), on backend: any GenerationBackend) -> Int {
        if let count = tokenCounts[item.sequence]?[backend.name] { return count }
        let count = backend.tokenCount(of: item.entry.chatMessage)
        tokenCounts[item.sequence, default: [:]][backend.name] = count
        return count
    }

    private func finishReply(_ writer: ReplyWriter, to message: InboundMessage) async {
        guard writer.hasDelivered else { return }
        await environment.replySent(message, writer.delivered)
        let entry = ContextEntry(
            role: .assistant, speaker: nil, speakerName: "", addressee: message.sender.id, text: writer.delivered,
            messageID: message.id)
        await record(entry, now: lastUsed)
    }

    // MARK: - Summarising

    /// Starts the summariser once a quarter of the history limit waits to be folded (a busy
    /// channel would otherwise ask for a summary after every reply) and it is not at work. It
    /// runs beside the replies: a reply never waits for it.
    private func foldIfNeeded() {
        guard folding == nil, linesToFold.count >= max(1, policy.historyLimit / 4) else { return }
        let version = memoryVersion
        folding = Task { await self.fold(version: version) }
    }

    /// The lines no prompt carries any more and no summary covers yet, oldest first.
    private var linesToFold: [(sequence: Int, entry: ContextEntry)] {
        entries.filter { $0.sequence > summarizedThrough && $0.sequence < promptFloor }
    }

    /// Folds the waiting lines into the summary, a window's worth per request, until none wait
    /// or the transcript changed under it (`memoryVersion`). A failure leaves the lines waiting
    /// for the next reply to try again.
    private func fold(version: Int) async {
        defer { if version == memoryVersion { folding = nil } }
        while version == memoryVersion, !Task.isCancelled {
            let pending = linesToFold
            guard !pending.isEmpty else { return }
            let name = policy.memory.summaryBackend ?? policy.backend
            guard let backend = environment.backends[name] else {
                environment.logger.error("the summary backend does not exist", metadata: ["bot.session": "\(key)", "gen.backend": "\(name)"])
                return
            }
            // A backend resting after a failure is not asked for summaries either.
            guard await environment.breaker.take(name) else { return }
            let chunk = SummaryRequest.chunk(
                of: pending, previous: summary, backend: backend, summaryTokens: policy.memory.summaryTokens)
            let request = SummaryRequest.request(
                lines: chunk.map(\.entry), previous: summary, summaryTokens: policy.memory.summaryTokens,
                model: name == policy.backend ? policy.parameters.model : nil, conversation: "\(key)/summary")
            var text = ""
            do {
                for try await piece in backend.stream(request) { text += piece.text }
            } catch {
                _ = await environment.breaker.failed(name)
                environment.logger.warning(
                    "could not summarise the conversation; the lines wait for the next reply",
                    metadata: ["bot.session": "\(key)", "gen.backend": "\(name)", "error": "\(error)"])
                return
            }
            await environment.breaker.succeeded(name)
            text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard version == memoryVersion, !text.isEmpty, let last = chunk.last else { return }
            warnedOfLoss = false
            var users = summary?.users ?? []
            for item in chunk { users.formUnion([item.entry.speaker, item.entry.addressee].compactMap { $0 }) }
            let made = ConversationSummary(text: text, users: users, through: last.entry.time)
            summary = made
            summarizedThrough = last.sequence
            trimHistory()
            do {
                try await environment.store?.saveSummary(made, of: key)
            } catch {
                environment.logger.error("could not store the summary", metadata: ["bot.session": "\(key)", "error": "\(error)"])
            }
        }
    }
}
