import Foundation
import Logging
import ParleyCore

/// A byte stream to a server: the TLS or TCP transport, or an in-memory one in tests.
public protocol IRCByteStream: Sendable {
    var incoming: AsyncThrowingStream<[UInt8], any Error> { get }
    func send(_ bytes: [UInt8])
    /// Writes what is queued, then ends the connection; returns at once.
    func close()
    /// Returns once `close` has written what was queued and ended the connection (or given up
    /// on a peer that does not read). A process that exits sooner loses those bytes: the end of a
    /// reply, the QUIT.
    func closed() async
    /// The reader is done with `count` bytes of `incoming`; a stream that bounds what it buffers
    /// reads on once enough is consumed.
    func consumed(_ count: Int)
}

extension IRCByteStream {
    public func consumed(_ count: Int) {}
    /// For streams whose `close` is done when it returns.
    public func closed() async {}
}

extension SocketTransport: IRCByteStream {}

/// One connection's life: the state machine fed from the stream, its actions performed, the
/// bot's replies split into lines and paced through the flood queue. Owned by the connector,
/// which runs `run()` for each connection and routes replies here while it lasts.
actor IRCSession {
    private var state: IRCClientState
    private var framer = IRCLineFramer()
    private var bucket: FloodBucket
    private let stream: any IRCByteStream
    private let configuration: IRCConnectorConfiguration
    private let events: ConnectorEvents
    private let clock: any MonotonicClock
    private let logger: Logger
    /// Rung when a line joins `pacedQueue`.
    private let doorbell: AsyncStream<Void>.Continuation
    private let rings: AsyncStream<Void>
    /// The lines waiting for the flood bucket, targets in turn.
    private var pacedQueue = PacedQueue()
    /// Paced lines not yet written; CTCP answers wait while there are any.
    private var pacedWaiting = 0
    /// Released whenever the last paced line has been written.
    private let emptied = WaitList()
    private var ctcp = CTCPReplies()
    /// The most lines held for `more` in one channel.
    static let maxHeldLines = 200
    /// Lines of replies held back by the per-reply cap, by folded channel, for `more`.
    private var overflow: [String: (command: String, lines: [String])] = [:]
    /// Lines sent per reply (channel and the message answered), for the cap.
    private var sentPerReply: [OutboundKey: Int] = [:]
    private var overflowedReplies: Set<OutboundKey> = []
    /// Replies whose first line has gone out (with the asker's nick in front).
    private var addressedReplies: Set<OutboundKey> = []
    /// The `msgid`s the server gave the latest messages: an answer to one is tagged
    /// `+draft/reply` (ids Parley made up for servers without msgids are not).
    private var serverMessageIDs: Set<String> = []
    /// Replies whose last line left them inside a fenced code block.
    private var repliesInCode: Set<OutboundKey> = []
    /// Numbers the messages that came without a server `msgid`, after `madeUpIDPrefix`.
    private var messageCounter = 0
    /// The connector's: unique to this connection (a per-connection counter alone would give the
    /// first message after a reconnect the id of the first message before it).
    private let madeUpIDPrefix: String
    /// Multiline batches opened on this connection, for their references.
    private var batchesOpened = 0

    struct OutboundKey: Hashable {
        var channel: String
        var replyTo: MessageID?
    }

    /// Where the connection goes (after any STS upgrade), and where STS policies are kept.
    private let endpoint: IRCEndpoint
    private let stsStore: (any STSPolicyStore)?
    /// A policy the server advertised, to be stored by the read loop (which may await).
    private var advertisedSTS: Int?
    /// The duration of the policy in force on this connection: when it closes, the policy's
    /// expiry is rescheduled to then plus this (IRCv3 STS: "MUST reschedule … on disconnect").
    private var stsDuration: Int?
    private let now: @Sendable () -> Date

    init(
        stream: any IRCByteStream, configuration: IRCConnectorConfiguration, endpoint: IRCEndpoint,
        stsStore: (any STSPolicyStore)?, events: ConnectorEvents, clock: any MonotonicClock,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger, madeUpIDPrefix: String
    ) {
        self.now = now
        self.madeUpIDPrefix = madeUpIDPrefix
        self.stream = stream
        self.configuration = configuration
        self.endpoint = endpoint
        self.stsStore = stsStore
        self.events = events
        self.clock = clock
        self.logger = logger
        state = IRCClientState(configuration: configuration.session, isSecure: endpoint.tls != nil)
        bucket = FloodBucket(configuration.flood, now: clock.now())
        (rings, doorbell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    var isRegistered: Bool { state.isRegistered }
    var nick: String { state.nick }

    /// Runs the connection until the server or the state machine ends it, or the task is
    /// cancelled (then it says QUIT). Returns why it ended.
    func run() async -> IRCDisconnect? {
        perform(state.connected(now: clock.now()))
        let result = await withTaskGroup(of: IRCDisconnect?.self) { group in
            group.addTask { await self.readLoop() }
            group.addTask { await self.tickLoop() }
            group.addTask { await self.writeLoop() }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if Task.isCancelled {
            send(IRCMessage("QUIT", ["Parley shutting down"]), urgent: true)
        }
        doorbell.finish()
        stream.close()
        await stream.closed()
        if let seconds = stsDuration, seconds > 0 { await store(stsSeconds: seconds) }
        return result
    }

    // MARK: - Loops

    private func readLoop() async -> IRCDisconnect? {
        do {
            for try await chunk in stream.incoming {
                for line in framer.append(chunk) {
                    if let end = receive(line) { return end }
                    if let seconds = advertisedSTS {
                        advertisedSTS = nil
                        await store(stsSeconds: seconds)
                    }
                }
                // Read on only when the bot keeps up: what waits stays bounded, here and there.
                await events.roomForMore()
                stream.consumed(chunk.count)
                let discarded = framer.takeDiscardedCount()
                if discarded > 0 { logger.warning("discarded over-long lines from the server", metadata: ["irc.lines": "\(discarded)"]) }
            }
            return Task.isCancelled ? nil : IRCDisconnect(reason: .serverError("the connection was closed"), retry: true)
        } catch {
            return IRCDisconnect(reason: .serverError("\(error)"), retry: true)
        }
    }

    private func store(stsSeconds seconds: Int) async {
        guard let stsStore else { return }
        do {
            if seconds == 0 {
                try await stsStore.removePolicy(for: endpoint.host)
            } else {
                let policy = STSPolicy(port: endpoint.port, expires: now().addingTimeInterval(TimeInterval(seconds)))
                try await stsStore.save(policy, for: endpoint.host)
            }
            logger.info("stored the server's TLS-only (STS) policy", metadata: ["irc.host": "\(endpoint.host)", "irc.sts_seconds": "\(seconds)"])
        } catch {
            logger.warning("could not store the STS policy", metadata: ["irc.error": "\(error)"])
        }
    }

    private func tickLoop() async -> IRCDisconnect? {
        while !Task.isCancelled {
            try? await clock.sleep(for: .seconds(1))
            if Task.isCancelled { return nil }
            if let end = perform(state.tick(now: clock.now())) { return end }
            writeCTCPReply()
        }
        return nil
    }

    /// Writes queued lines no faster than the flood control allows, the targets in turn (lines
    /// queued while it waits for the bucket take their turn too).
    private func writeLoop() async -> IRCDisconnect? {
        for await _ in rings {
            while let line = pacedQueue.next() {
                let wait = bucket.reserve(at: clock.now())
                if wait > .zero { try? await clock.sleep(for: wait) }
                if Task.isCancelled { return nil }
                stream.send(line)
                // Counted down only once written: `drained()` means on the wire, not taken.
                pacedWaiting -= 1
                if pacedWaiting == 0 { emptied.releaseAll() }
            }
        }
        return nil
    }

    private func receive(_ bytes: [UInt8]) -> IRCDisconnect? {
        let text = IRCText.decode(bytes)
        do {
            let message = try IRCMessage(parsing: text)
            return perform(state.received(message, now: clock.now()))
        } catch {
            logger.warning("skipped a malformed line", metadata: ["irc.error": "\(error)"])
            return nil
        }
    }

    // MARK: - Actions

    @discardableResult
    private func perform(_ actions: [IRCClientAction]) -> IRCDisconnect? {
        for action in actions {
            switch action {
            case .send(let message, let urgent):
                send(message, urgent: urgent)
            case .ctcpReply(let message, let nick):
                queueCTCPReply(message, to: nick)
            case .registered(let nick):
                logger.info("registered", metadata: ["irc.nick": "\(nick)", "irc.account": "\(state.account ?? "none")"])
            case .ready:
                events.emit(.state(configuration.network, .up))
            case .nickChanged(let old, let new):
                logger.info("nick changed", metadata: ["irc.nick": "\(new)", "irc.former_nick": "\(old)"])
            case .joined(let channel):
                logger.info("joined", metadata: ["irc.channel": "\(channel)"])
            case .left(let channel):
                logger.info("left", metadata: ["irc.channel": "\(channel)"])
            case .membership(let channel, let person, let joined):
                events.emit(.membership(
                    ChannelKey(network: configuration.network, channel: channel),
                    Sender(id: UserID(person.identity), displayName: person.nick, account: person.account),
                    joined ? .joined : .left))
            case .message(let chat):
                inbound(chat)
            case .stsPolicy(let seconds):
                advertisedSTS = seconds
                stsDuration = seconds
            case .disconnect(let reason):
                return reason
            }
        }
        return nil
    }

    private func send(_ message: IRCMessage, urgent: Bool) {
        do {
            let bytes = try wire(message)
            if urgent { stream.send(bytes) } else { pace(bytes, in: lane(of: message)) }
        } catch {
            logger.error("refused to write a malformed line", metadata: ["irc.command": "\(message.command)", "irc.error": "\(error)"])
        }
    }

    private func pace(_ bytes: [UInt8], in lane: PacedQueue.Lane) {
        // Nothing queued or held by the write loop, and the bucket has room: the line goes now,
        // without waiting for the write loop's turn (a task switch on the reply's path).
        let now = clock.now()
        if pacedWaiting == 0, bucket.allowsLine(at: now) {
            _ = bucket.reserve(at: now)
            stream.send(bytes)
            return
        }
        pacedWaiting += 1
        pacedQueue.append(bytes, in: lane)
        doorbell.yield()
    }

    /// Whose turn a line takes: the channel or nick a message is for; "" for the server's own
    /// commands; WHO waits in the background (learning accounts can wait for every answer, and a
    /// thousand joins make a thousand WHOs).
    private func lane(of message: IRCMessage) -> PacedQueue.Lane {
        if message.command == "WHO" { return .background }
        guard message.command == "PRIVMSG" || message.command == "NOTICE", let target = message.parameters.first else { return .target("") }
        return .target(state.support.caseMapping.fold(target))
    }

    private func queueCTCPReply(_ message: IRCMessage, to nick: String) {
        guard let bytes = try? wire(message) else { return }
        if !ctcp.offer(bytes, from: state.support.caseMapping.fold(nick), now: clock.now()) {
            logger.debug("CTCP request not answered (per-person limit or full queue)", metadata: ["irc.nick": "\(nick)"])
        }
        writeCTCPReply()
    }

    /// Writes a waiting CTCP answer when no reply waits and the flood bucket is full.
    private func writeCTCPReply() {
        guard pacedWaiting == 0, let line = ctcp.next(bucket: &bucket, now: clock.now()) else { return }
        stream.send(line)
    }

    /// The line's bytes, CR-LF included, within the line length the server advertised (the
    /// same limit the splitter cuts replies to).
    private func wire(_ message: IRCMessage) throws(IRCEncodingError) -> [UInt8] {
        Array(try message.serialized(limit: state.support.lineLength).utf8) + [13, 10]
    }

    /// A chat line for the bot: private messages as direct channels keyed by the sender.
    /// Notices are never answered (RFC 2812: automatic replies must not answer a NOTICE).
    private func inbound(_ chat: IRCChatMessage) {
        guard chat.kind != .notice else { return }
        let fold = state.support.caseMapping.fold
        let channelName = chat.isChannel ? fold(chat.target) : fold(chat.source.nick)
        let addressing = Addressing.detect(in: chat.text, names: state.nicksAddressingUs(in: chat.target), fold: fold)
        if isMoreRequest(addressing: addressing, text: chat.text, direct: !chat.isChannel), sendMore(to: chat.isChannel ? chat.target : chat.source.nick) {
            return
        }
        messageCounter += 1
        if let id = chat.id {
            if serverMessageIDs.count >= 1024 { serverMessageIDs.removeAll() }
            serverMessageIDs.insert(id)
        }
        let sender = Sender(
            id: UserID(chat.identity),
            displayName: chat.source.nick, account: chat.account, isOperator: chat.fromOperator, isBot: chat.fromBot)
        events.emit(.message(InboundMessage(
            id: MessageID(chat.id ?? madeUpIDPrefix + String(messageCounter)),
            channel: ChannelKey(network: configuration.network, channel: channelName),
            sender: sender,
            text: chat.kind == .action ? "* \(chat.source.nick) \(chat.text)" : chat.text,
            isDirect: !chat.isChannel,
            addressing: chat.isChannel ? addressing : (addressing == .none ? .mentioned : addressing),
            time: chat.time ?? Date())))
    }

    // MARK: - Replies

    /// The most bytes of text in one PRIVMSG/NOTICE to `target`: the line limit less CR-LF and
    /// the `:nick!user@host PRIVMSG target :` prefix the server adds when relaying it.
    func textBudget(for target: String, command: String) -> Int {
        let mask = state.hostmask
        let user = mask?.user ?? "~" + configuration.session.user
        let host = mask?.host ?? String(repeating: "x", count: 63)
        let prefix = ":\(state.nick)!\(user)@\(host) \(command) \(target) :"
        return state.support.lineLength - 2 - prefix.utf8.count
    }

    func deliver(_ message: OutboundMessage) throws {
        guard state.isRegistered else { throw ConnectorError.notConnected(configuration.network) }
        let target = message.channel.channel
        let command = message.style == .notice ? "NOTICE" : "PRIVMSG"
        let fold = state.support.caseMapping.fold
        let markdown = configuration.channelMarkdown.first { fold($0.key) == fold(target) }?.value ?? configuration.markdown
        // The codes in the text are the renderer's own: the core's sanitizer removed any a model wrote.
        let splitter = IRCLineSplitter(
            budget: textBudget(for: target, command: command), keepFormatting: configuration.keepFormatting || markdown == .format)
        let reply = OutboundKey(channel: fold(target), replyTo: message.replyTo)
        var text = render(message.text, as: markdown, reply: reply)
        guard !text.isEmpty else { return }
        if configuration.addressReplies, state.support.isChannel(target), let recipient = message.recipient,
           message.replyTo != nil, addressedReplies.insert(reply).inserted {
            // The IRC way: the first line of an answer in a channel names whom it answers.
            text = "\(recipient.displayName): " + text
            if addressedReplies.count > 256 { addressedReplies = [reply] }
        }
        var lines = splitter.split(text)
        guard !lines.isEmpty else { return }
        if let cap = configuration.maxLinesPerReply {
            // Lines past the cap wait for "more"; the first time a reply reaches it, one marker says so.
            let key = reply
            let already = sentPerReply[key, default: 0]
            let room = max(0, cap - already)
            if lines.count > room {
                // Bounded per channel (the newest lines kept) and in channels held for.
                var held = (overflow[key.channel]?.lines ?? []) + lines[room...]
                if held.count > Self.maxHeldLines { held.removeFirst(held.count - Self.maxHeldLines) }
                if overflow[key.channel] == nil && overflow.count >= 256 { overflow.removeAll() }
                overflow[key.channel] = (command, held)
                lines = Array(lines[..<room])
                if overflowedReplies.insert(key).inserted { lines.append(moreMarker) }
            }
            sentPerReply[key] = already + min(lines.count, room)
            if sentPerReply.count > 256 { sentPerReply.removeAll(); overflowedReplies.removeAll() }
        }
        // Every line is checked before any is queued: a reply goes out whole or the core hears
        // why it could not (and tells the asker), never half of it and a log line.
        // Where the server relays client tags, the answer says which message it answers.
        var tags: [String: String] = [:]
        if state.enabledCapabilities.contains("message-tags"), let question = message.replyTo?.rawValue,
           question.utf8.count <= 128, serverMessageIDs.contains(question) {
            tags["+draft/reply"] = question
        }
        // Several lines go as one multiline message where the server takes them so.
        let messages = lines.count > 1 && state.multiline != nil
            ? state.multiline!.messages(command: command, target: target, lines: lines, tags: tags) { nextBatchReference() }
            : lines.map { IRCMessage(tags: tags, command, [target, $0]) }
        let wireLines = try messages.map { message throws(IRCEncodingError) in try wire(message) }
        for bytes in wireLines { pace(bytes, in: .target(reply.channel)) }
    }

    private func nextBatchReference() -> String {
        batchesOpened += 1
        return "parley\(batchesOpened)"
    }

    /// The text's Markdown as the channel has it shown, a line at a time; whether the reply is
    /// inside a code block carries over to its next line.
    private func render(_ text: String, as markdown: IRCMarkdown, reply: OutboundKey) -> String {
        guard markdown != .keep else { return text }
        var inCode = repliesInCode.contains(reply)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line in
            markdown.render(line: String(line), inCodeBlock: &inCode)
        }
        if inCode {
            if repliesInCode.count >= 256 { repliesInCode.removeAll() }
            repliesInCode.insert(reply)
        } else {
            repliesInCode.remove(reply)
        }
        return lines.joined(separator: "\n")
    }

    private func isMoreRequest(addressing: Addressing, text: String, direct: Bool) -> Bool {
        let body: String
        if case .addressed(let rest) = addressing { body = rest } else if direct { body = text } else { return false }
        return body.trimmingCharacters(in: .whitespaces).lowercased() == "more"
    }

    /// Sends the next batch of held lines for `target`; false when nothing is held.
    private func sendMore(to target: String) -> Bool {
        let key = state.support.caseMapping.fold(target)
        guard let (command, lines) = overflow[key], !lines.isEmpty else { return false }
        var held = lines
        let batch = Array(held.prefix(configuration.maxLinesPerReply ?? held.count))
        held.removeFirst(batch.count)
        overflow[key] = held.isEmpty ? nil : (command, held)
        for line in batch { send(IRCMessage(command, [target, line]), urgent: false) }
        if !held.isEmpty { send(IRCMessage(command, [target, moreMarker]), urgent: false) }
        return true
    }

    private var moreMarker: String { "(more: say \"\(state.nick): more\")" }

    /// Returns once every paced line (the end of a reply) has been written, or the task is
    /// cancelled. The flood control still paces them: the bot's drain time bounds the wait.
    func drained() async {
        while pacedWaiting > 0, !Task.isCancelled {
            await emptied.wait(since: emptied.generation)
        }
    }

    /// A reload's channel list: joins and parts as it differs from the one in use.
    func replaceChannels(_ channels: [IRCSessionConfiguration.Channel]) {
        perform(state.replaceChannels(channels))
    }

    /// The nicks in `channel` (from NAMES, JOIN, PART, KICK, QUIT and NICK).
    func members(of channel: String) -> [String] {
        state.members(of: channel)
    }

    /// Kick, ban or quiet in a channel (the server refuses if the bot lacks the rights).
    func perform(_ action: ModerationAction, in channel: String) throws {
        guard state.isRegistered else { throw ConnectorError.notConnected(configuration.network) }
        for message in IRCModeration.commands(for: action, in: channel) { send(message, urgent: false) }
    }
}
