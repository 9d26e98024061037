import Foundation
public import Logging
public import ParleyCore
public import ParleyHTTP

/// One Matrix account for the bot: signs in, long-polls `/sync`, hands room messages to the
/// core, and sends replies as notices (or text), in reply and in thread, streamed by edits.
///
/// What it promises across restarts of itself and of the homeserver: every message it takes
/// from a sync is stored as pending before the sync position moves past it, and stays pending
/// until the core settles it; so a crash replays what was not finished, and nothing settled is
/// taken again. A reply's first event is sent with a transaction id made from the question's
/// id, so a reply sent again after a crash is recognised by the homeserver and posted once.
public actor MatrixConnector: Connector {
    public nonisolated let network: NetworkID
    public nonisolated let capabilities: ConnectorCapabilities
    public nonisolated let configuration: MatrixConnectorConfiguration
    let logger: Logger
    private let store: (any MatrixStateStore)?
    var client: MatrixClient
    /// This login's device, once signed in.
    var deviceID: String?
    /// The encryption state, when `crypto_pickle_key` is set and there is a database
    /// (`MatrixConnector+Encryption`).
    var crypto: CryptoMachine?
    var cryptoStore: (any MatrixCryptoStore)? { store as? any MatrixCryptoStore }
    /// People whose device keys were fetched since they last changed.
    var queriedUsers: Set<MatrixUserID> = []
    /// Encrypted messages taken (pending in the ledger) whose room key has not arrived, by session.
    var waitingForKeys: [String: [(room: MatrixRoomID, event: MatrixEvent)]] = [:]
    /// Rooms told that a message waits for its key (once per wait), and the timers that will.
    var keyNoticeSent: Set<MatrixRoomID> = []
    var keyNoticeTimers: [MatrixRoomID: Task<Void, Never>] = [:]
    /// The server-side key backup the recovery key opens, and the sessions already asked of it
    /// (`MatrixConnector+KeyBackup`).
    var keyBackup: (key: BackupKey, version: String)?
    var backupLookups: Set<String> = []
    /// The joined members of encrypted rooms as last fetched, until a membership event changes them.
    var encryptedRoomMembers: [MatrixRoomID: [MatrixUserID]] = [:]
    private var ledger = SyncLedger()
    var rooms = MatrixRoomDirectory()
    private var inbound: MatrixInbound
    /// Time for backoff, typing renewal and the client's retries (tests drive it).
    let clock: any MonotonicClock
    private var signedIn = false
    /// Whether the network has been reported up since it was last reported otherwise.
    private var reportedUp = false
    private var restored = false
    private var sink: ConnectorEvents?
    /// The first event of each reply being streamed; its later parts edit it.
    private var draftEvents: [ReplyKey: MatrixEventID] = [:]
    /// How many events this process has posted in answer to each question: with the question's
    /// id this makes the transaction id.
    private var postsPerQuestion: [MatrixEventID: Int] = [:]
    /// Questions waiting for an answer in each room, for the typing notification.
    private var waiting: [MatrixRoomID: Int] = [:]
    /// Rooms with a question open: the task that shows the bot typing there once the answer
    /// takes longer than `typingDelay`, and renews it while the question stays open.
    private var typing: [MatrixRoomID: Task<Void, Never>] = [:]
    /// Rooms where the homeserver was told the bot is typing.
    private var typingShown: Set<MatrixRoomID> = []
    /// Rooms to mark read a moment after a sync, with the task that will.
    private var receipts = ReadReceipts()
    private var receiptFlush: Task<Void, Never>?
    /// Replies taken from the core and not yet acknowledged (see `dispatch`).
    private var inFlight = SendsInFlight()
    private let sendSlots: Slots
    /// The last send for each question with one in flight: the next waits for it, so the
    /// edits of a streamed reply land in the order they were written.
    private var lastSend: [MatrixEventID: Task<Void, Never>] = [:]
    /// Whoever waits for every send in flight to end (`drain`).
    private let sendsEnded = WaitList()
    /// Side requests (typing, receipts, notices, leaving) run one at a time off the sync loop.
    /// Work that must not block the sync loop, in order; made anew by each `run()` (a stream
    /// whose reader was cancelled is finished for good).
    private var choreQueue: AsyncStream<Chore>.Continuation

    typealias Chore = @Sendable () async -> Void

    struct ReplyKey: Hashable {
        var room: MatrixRoomID
        var question: MatrixEventID
    }

    /// - Parameters:
    ///   - store: where state survives restarts; without one, a restart starts afresh.
    ///   - http: the HTTP layer, shared with every other user of the same servers so their
    ///     connections are reused; by default one of the connector's own.
    ///   - transport: the homeserver; by default `HomeserverTransport` over `http` (tests give
    ///     a fake).
    public init(
        configuration: MatrixConnectorConfiguration,
        logger: Logger,
        store: (any MatrixStateStore)? = nil,
        http: (any HTTPClient)? = nil,
        transport: (any MatrixTransport)? = nil,
        clock: any MonotonicClock = SystemMonotonicClock()
    ) {
        self.configuration = configuration
        self.clock = clock
        network = configuration.network
        self.logger = logger
        self.store = store
        let homeserver = transport ?? HomeserverTransport(homeserver: configuration.homeserver, http: http ?? CurlHTTPClient(clock: clock))
        client = MatrixClient(transport: homeserver, logger: logger)
        client.sleep = { try await clock.sleep(for: $0) }
        inbound = MatrixInbound(network: configuration.network, botUser: configuration.userID, noticesFrom: configuration.noticesFrom)
        capabilities = ConnectorCapabilities(
            maxMessageBytes: MatrixOutbound.maxTextBytes, streaming: .edits(interval: configuration.editInterval, hold: configuration.firstEditHold),
            supportsThreads: true, actions: [.kick, .ban, .redact], defaultStyle: configuration.replyStyle)
        choreQueue = AsyncStream.makeStream(of: Chore.self).continuation
        sendSlots = Slots(limit: configuration.sendsInFlight)
    }

    /// Shortens waits between attempts (tests of retries).
    func setRetry(_ policy: MatrixClient.RetryPolicy) {
        client.retry = policy
    }

    // MARK: - Running

    public func run(events: ConnectorEvents) async throws {
        sink = events
        if configuration.homeserver.scheme == "http", !["127.0.0.1", "localhost", "::1"].contains(configuration.homeserver.host ?? "") {
            logger.warning("the homeserver URL is plain http: the access token and messages cross the network in clear")
        }
        let (chores, queue) = AsyncStream.makeStream(of: Chore.self)
        choreQueue = queue
        defer { stopTimers() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await chore in chores { await chore() }
            }
            try await self.syncForever()
            group.cancelAll()
        }
    }

    private func syncForever() async throws {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await signIn()
                await startEncryption()
                await startKeyBackup()
                try await restore()
                try await syncLoop {
                    if !reportedUp { sink?.emit(.state(configuration.network, .up)) }
                    reportedUp = true
                    failures = 0
                }
            } catch is CancellationError {
                return
            } catch let error as MatrixError where Self.isFatal(error, authentication: configuration.authentication) {
                logger.critical("cannot go on with this Matrix account", metadata: ["matrix.error": "\(error)"])
                signedIn = false
                reportedUp = false
                client.accessToken = nil
                throw error
            } catch let error as MatrixError where error.code == "M_UNKNOWN_TOKEN" {
                logger.warning("the stored access token was refused; logging in again")
                try? await store?.saveCredentials(account: configuration.stateAccount, nil)
                client.accessToken = nil
                signedIn = false
                crypto = nil  // the next login is a new device, with keys of its own
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let delay = Self.backoff(after: failures, cap: configuration.maxReconnectDelay)
                sink?.emit(.state(configuration.network, .reconnecting(reason: "\(error)")))
                ParleyMetric.reconnects.increment([("network", network.rawValue)])
                reportedUp = false
                logger.warning("Matrix sync failed; trying again", metadata: [
                    "matrix.error": "\(error)", "matrix.delay_ms": "\(delay.inMilliseconds)"])
                try? await clock.sleep(for: delay)
            }
        }
    }

    /// A bad configured token, a wrong password or a token for another user will not mend by
    /// waiting: the operator has to act.
    static func isFatal(_ error: MatrixError, authentication: MatrixConnectorConfiguration.Authentication) -> Bool {
        switch error {
        case .wrongUser, .invalidURL: return true
        case .homeserver(let endpoint, _, let code, _):
            if endpoint == "login" { return code != "M_LIMIT_EXCEEDED" }
            if case .accessToken = authentication { return code == "M_UNKNOWN_TOKEN" || code == "M_MISSING_TOKEN" }
            return false
        default: return false
        }
    }

    static func backoff(after failures: Int, cap: Duration) -> Duration {
        Backoff(base: .milliseconds(500), cap: cap).delay(after: failures)
    }

    // MARK: - Signing in

    private func signIn() async throws {
        guard !signedIn else { return }
        switch configuration.authentication {
        case .accessToken(let token):
            client.accessToken = token
            try await checkIdentity()
        case .password(let password):
            let saved = try await store?.load(account: configuration.stateAccount).credentials
            if let saved, saved.userID == configuration.userID {
                client.accessToken = saved.accessToken
                try await checkIdentity()
                deviceID = saved.deviceID
                logger.info("signed in with the stored device", metadata: ["matrix.device": "\(saved.deviceID)"])
            } else {
                let login = try await client.login(user: configuration.userID, password: password, deviceName: configuration.deviceName)
                guard login.userID == configuration.userID else {
                    throw MatrixError.wrongUser(expected: configuration.userID, actual: login.userID)
                }
                client.accessToken = Secret(login.accessToken)
                deviceID = login.deviceID
                try await store?.saveCredentials(
                    account: configuration.stateAccount,
                    MatrixCredentials(userID: login.userID, deviceID: login.deviceID, accessToken: Secret(login.accessToken)))
                logger.info("logged in; the device is stored for the next start", metadata: ["matrix.device": "\(login.deviceID)"])
            }
        }
        do {
            inbound.botDisplayName = try await client.displayName(of: configuration.userID)
        } catch {
            logger.debug("no display name", metadata: ["matrix.error": "\(error)"])
        }
        for name in configuration.rooms {
            do {
                let room = try await client.join(name)
                if name != room.rawValue { rooms.name(room, as: name) }
            } catch {
                logger.warning("could not join a configured room", metadata: ["matrix.room": "\(name)", "matrix.error": "\(error)"])
            }
        }
        signedIn = true
    }

    private func checkIdentity() async throws {
        let me = try await client.whoami()
        guard me.userID == configuration.userID else {
            throw MatrixError.wrongUser(expected: configuration.userID, actual: me.userID)
        }
        if let device = me.deviceID { deviceID = device }
    }

    /// Loads the saved state once, and hands the bot again what it had not finished.
    private func restore() async throws {
        guard !restored else { return }
        let saved = try await store?.load(account: configuration.stateAccount) ?? MatrixSavedState()
        ledger = SyncLedger(saved, capacity: configuration.rememberedEvents)
        for (room, flags) in saved.roomFlags {
            rooms[room].direct = flags.contains(.direct)
            rooms[room].encryptionNoticeSent = flags.contains(.encryptionNoticeSent)
        }
        restored = true
        let replay = ledger.pendingInOrder
        if !replay.isEmpty {
            logger.info("handing the bot the messages it had not finished", metadata: ["matrix.count": "\(replay.count)"])
        }
        for item in replay {
            var event = try? JSONDecoder().decode(MatrixEvent.self, from: Data(item.eventJSON.utf8))
            if let encrypted = event, encrypted.type == "m.room.encrypted" {
                switch opened(encrypted, in: item.room) {
                case .clear(let clear): event = clear
                case .waiting(let session):  // still pending; its key may yet come
                    waitingForKeys[session, default: []].append((item.room, encrypted))
                    scheduleKeyNotice(for: item.room)
                    continue
                case .refused: event = nil
                }
            }
            guard let event, case .success(let message) = inbound.message(from: event, room: item.room, rooms: rooms) else {
                ledger.settle(item.eventID)
                try? await store?.settle(account: configuration.stateAccount, eventIDs: [item.eventID])
                continue
            }
            emit(message, room: item.room)
        }
    }

    // MARK: - Syncing

    private func syncLoop(succeeded: () -> Void) async throws {
        let filter = SyncFilter.json(timelineLimit: configuration.timelineLimit)
        var polling = client
        polling.retry.attempts = 1
        if ledger.since == nil {
            // A fresh start: learn the rooms and take invites, but leave the backlog unanswered.
            let first = try await polling.sync(since: nil, filter: filter, timeout: .zero)
            succeeded()
            try await process(first, answering: false)
            logger.info("first sync done; earlier messages are not answered", metadata: ["matrix.rooms": "\(first.joined.count)"])
        }
        while !Task.isCancelled {
            let response = try await polling.sync(since: ledger.since, filter: filter, timeout: configuration.syncTimeout)
            succeeded()
            try await process(response, answering: true)
        }
        throw CancellationError()
    }

    private func process(_ response: SyncResponse, answering: Bool) async throws {
        await topUpKeys(serverCounts: response.oneTimeKeyCounts, unusedFallbackKeys: response.unusedFallbackKeyTypes)
        let keysArrived = await receiveToDevice(response.toDevice, changed: response.deviceListsChanged, left: response.deviceListsLeft)
        if response.malformedEvents > 0 {
            logger.warning("skipped malformed events in a sync", metadata: ["matrix.count": "\(response.malformedEvents)"])
        }
        for peerRooms in (response.directRooms ?? [:]).values {
            for room in peerRooms where !rooms[room].direct { await mark(room, .direct) }
        }
        var admitted: [(pending: MatrixSavedState.Pending, message: InboundMessage, room: MatrixRoomID)] = []
        var admittedIDs: Set<MatrixEventID> = []
        // Encrypted messages whose key has not come: stored as pending, handed over later.
        var waitingAdmitted: [MatrixSavedState.Pending] = []
        // Edits and redactions go to the bot in timeline order with the messages: a question
        // after a redaction is answered without the redacted line.
        var revisions: [(after: Int, event: ConnectorEvent)] = []
        for (room, joined) in response.joined.sorted(by: { $0.key < $1.key }) {
            for event in joined.state {
                rooms.apply(event, in: room)
                if event.type == "m.room.member" { encryptedRoomMembers[room] = nil }
            }
            if let count = joined.joinedMemberCount { rooms[room].joinedMembers = count }
            var timeline = joined.timeline
            if answering, joined.limited, let previous = joined.previousBatch, let since = ledger.since {
                timeline = try await fillGap(in: room, from: previous, to: since) + timeline
            }
            for event in timeline {
                let change = answering ? rooms.membershipChange(event, in: room) : nil
                rooms.apply(event, in: room)
                if let change, let user = event.stateKey.map(MatrixUserID.init), user != configuration.userID {
                    sink?.emit(.membership(
                        ChannelKey(network: network, channel: rooms.channel(for: room)),
                        Sender(id: UserID(user.rawValue), displayName: rooms.displayName(of: user, in: room), account: user.rawValue),
                        change))
                }
                if event.type == "m.room.encrypted", event.sender != configuration.userID { rooms[room].encrypted = true }
                if event.type == "m.room.member" {
                    encryptedRoomMembers[room] = nil
                    if rooms[room].encrypted, ["leave", "ban"].contains(event.content["membership"]?.string ?? "") {
                        crypto?.rotate(room)  // the next reply uses a session the leaver never gets
                    }
                }
                guard answering, let id = event.eventID, ledger.isNew(id), !admittedIDs.contains(id) else { continue }
                // An encrypted message is read as the clear event inside it; one whose key has not
                // come yet is taken (pending) and handed over when the key arrives. The ledger keeps
                // the event as it came (encrypted or not): a replay opens it again.
                let original = event
                var event = event
                var opened = false
                if event.type == "m.room.encrypted", crypto != nil, event.sender != configuration.userID {
                    switch self.opened(event, in: room) {
                    case .clear(let clear):
                        event = clear
                        opened = true
                    case .waiting(let session):
                        waitingAdmitted.append(MatrixSavedState.Pending(eventID: id, room: room, eventJSON: Self.json(original)))
                        waitingForKeys[session, default: []].append((room, event))
                        scheduleKeyNotice(for: room)
                        admittedIDs.insert(id)
                        continue
                    case .refused:
                        continue
                    }
                }
                if let revision = inbound.revision(from: event, room: room, rooms: rooms) {
                    revisions.append((admitted.count, revision))
                    continue
                }
                guard case .success(let message) = inbound.message(from: event, room: room, rooms: rooms) else { continue }
                guard !rooms[room].encrypted || opened else {
                    // Sent in clear into an encrypted room: any answer would have to be in clear too.
                    logger.info("not answering a message in an encrypted room", metadata: ["matrix.room": "\(room)", "matrix.event": "\(id)"])
                    continue
                }
                admitted.append((MatrixSavedState.Pending(eventID: id, room: room, eventJSON: Self.json(original)), message, room))
                admittedIDs.insert(id)
            }
            await tellIfEncrypted(room)
            if answering, let last = timeline.last(where: { $0.sender != configuration.userID })?.eventID {
                markRead(last, in: room)
            }
            leaveIfAlone(room)
        }
        for (room, state) in response.invited.sorted(by: { $0.key < $1.key }) {
            await answerInvite(to: room, state: state)
        }
        for room in response.left {
            logger.info("left a room, or was removed from it", metadata: ["matrix.room": "\(room)"])
            rooms.forget(room)
        }
        if let newest = admitted.map(\.message.time).max() {
            ParleyMetric.matrixSyncLag.record(max(0, Date().timeIntervalSince(newest)), [("network", network.rawValue)])
        }
        try await store?.commit(
            account: configuration.stateAccount, since: response.nextBatch, admitted: admitted.map(\.pending) + waitingAdmitted)
        for item in admitted { _ = ledger.admit(item.pending) }
        for item in waitingAdmitted { _ = ledger.admit(item) }
        ledger.advance(to: response.nextBatch)
        var nextRevision = revisions.startIndex
        for (index, item) in admitted.enumerated() {
            while nextRevision < revisions.endIndex, revisions[nextRevision].after <= index {
                sink?.emit(revisions[nextRevision].event)
                nextRevision += 1
            }
            emit(item.message, room: item.room)
        }
        for revision in revisions[nextRevision...] { sink?.emit(revision.event) }
        // Messages that waited for the keys this sync brought.
        for session in keysArrived { await handOverWaiting(for: session) }
        // Then the backup: the new keys kept there; the keys that did not come asked of it, and
        // of the bot's other devices and the senders'.
        if !keysArrived.isEmpty { await backUpKeys() }
        for (session, waiting) in waitingForKeys {
            guard let first = waiting.first else { continue }
            if keyBackup != nil, !backupLookups.contains(session),
               await restoreFromBackup(session: session, room: first.room, sender: first.event.sender) {
                await handOverWaiting(for: session)
            } else {
                await requestKey(for: first.event, in: first.room)
            }
        }
    }

    /// Hands the bot the messages that waited for `session`'s key, now that it came.
    private func handOverWaiting(for session: String) async {
        guard let waiting = waitingForKeys.removeValue(forKey: session) else { return }
        for (room, event) in waiting {
            switch opened(event, in: room) {
            case .clear(let clear):
                guard let id = event.eventID else { continue }
                guard case .success(let message) = inbound.message(from: clear, room: room, rooms: rooms) else {
                    ledger.settle(id)
                    try? await store?.settle(account: configuration.stateAccount, eventIDs: [id])
                    continue
                }
                emit(message, room: room)
            case .waiting(let again):
                waitingForKeys[again, default: []].append((room, event))
            case .refused:
                if let id = event.eventID {
                    ledger.settle(id)
                    try? await store?.settle(account: configuration.stateAccount, eventIDs: [id])
                }
            }
        }
        // A room with nothing left waiting may be told again, the next time.
        let stillWaiting = Set(waitingForKeys.values.flatMap { $0.map(\.room) })
        keyNoticeSent.formIntersection(stillWaiting)
    }

    /// An event as the ledger keeps it, to be handed over again after a crash.
    static func json(_ event: MatrixEvent) -> String {
        (try? JSONEncoder().encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The events a limited timeline left out: `/messages` backwards from the timeline's start
    /// to the previous sync position, oldest first. At most `maxGapPages` pages: a bot offline
    /// for days answers the last of it, not all of it.
    private func fillGap(in room: MatrixRoomID, from start: String, to since: String) async throws -> [MatrixEvent] {
        let filter = SyncFilter.messagesJSON()
        var token = start
        var events: [MatrixEvent] = []
        var complete = false
        for _ in 0..<Self.maxGapPages {
            let page = try await client.messages(in: room, from: token, to: since, limit: 100, filter: filter)
            let chunk = page.chunk.compactMap(\.value)
            events += chunk
            guard let end = page.end, !chunk.isEmpty, end != token else {
                complete = true
                break
            }
            token = end
        }
        if !complete {
            logger.warning("a gap in a room's timeline is longer than Parley fetches; older messages in it are not answered", metadata: [
                "matrix.room": "\(room)", "matrix.count": "\(events.count)"])
        } else if !events.isEmpty {
            logger.info("filled a gap in a room's timeline", metadata: ["matrix.room": "\(room)", "matrix.count": "\(events.count)"])
        }
        return events.reversed()
    }

    static let maxGapPages = 20

    private func emit(_ message: InboundMessage, room: MatrixRoomID) {
        if message.addressing != .none || message.isDirect {
            waiting[room, default: 0] += 1
            if waiting[room] == 1 { startTyping(in: room) }
        }
        sink?.emit(.message(message))
    }

    public func settled(_ message: InboundMessage) async {
        let id = MatrixEventID(message.id.rawValue)
        let room = rooms.room(forChannel: message.channel.channel)
        // Nothing more is sent for this question: its reply bookkeeping can go.
        postsPerQuestion[id] = nil
        draftEvents[ReplyKey(room: room, question: id)] = nil
        // Stored as handled only once its reply is acknowledged.
        guard inFlight.settle(message, id: id) else { return }
        await settleNow(message)
    }

    private func settleNow(_ message: InboundMessage) async {
        let id = MatrixEventID(message.id.rawValue)
        let room = rooms.room(forChannel: message.channel.channel)
        guard ledger.settle(id) else { return }
        do {
            try await store?.settle(account: configuration.stateAccount, eventIDs: [id])
        } catch {
            logger.error("could not store that a message was handled", metadata: ["matrix.event": "\(id)", "matrix.error": "\(error)"])
        }
        if message.addressing != .none || message.isDirect, let count = waiting[room] {
            waiting[room] = count > 1 ? count - 1 : nil
            if count == 1 { stopTyping(in: room) }
        }
    }

    // MARK: - Typing and receipts, off the reply's path

    /// A question is open in `room`: once its answer takes longer than `typingDelay` (a command's
    /// does not), the bot is shown typing, renewed at 0.7 of `typingTimeout` until it is answered.
    private func startTyping(in room: MatrixRoomID) {
        typing[room]?.cancel()
        typing[room] = Task {
            var wait = configuration.typingDelay
            while !Task.isCancelled {
                guard (try? await clock.sleep(for: wait)) != nil, !Task.isCancelled else { return }
                typingShown.insert(room)
                let (user, timeout) = (configuration.userID, configuration.typingTimeout)
                chore { [client] in try? await client.setTyping(true, in: room, user: user, timeout: timeout) }
                wait = configuration.typingTimeout * 0.7
            }
        }
    }

    private func stopTyping(in room: MatrixRoomID) {
        typing.removeValue(forKey: room)?.cancel()
        guard typingShown.remove(room) != nil else { return }
        let user = configuration.userID
        chore { [client] in try? await client.setTyping(false, in: room, user: user, timeout: .zero) }
    }

    /// Marks `room` read up to `event` a moment later (`readReceiptDelay`), with whatever else
    /// was read meanwhile: one receipt per room instead of one per sync. As a chore, it goes
    /// after anything a sync made the bot say by itself (the encrypted-room notice).
    private func markRead(_ event: MatrixEventID, in room: MatrixRoomID) {
        guard receipts.read(event, in: room) else { return }
        let delay = configuration.readReceiptDelay
        guard delay > .zero else { return flushReceipts() }
        receiptFlush = Task {
            guard (try? await clock.sleep(for: delay)) != nil else { return }
            flushReceipts()
        }
    }

    private func flushReceipts() {
        receiptFlush = nil
        for (room, event) in receipts.take() {
            chore { [client] in try? await client.markRead(event, in: room) }
        }
    }

    /// The sync loop stopped: nothing is shown typing for it any more, and receipts not yet sent
    /// are dropped (the next start reads and marks the rooms again).
    private func stopTimers() {
        for task in typing.values { task.cancel() }
        typing.removeAll()
        typingShown.removeAll()
        receiptFlush?.cancel()
        receiptFlush = nil
        _ = receipts.take()
        for task in keyNoticeTimers.values { task.cancel() }
        keyNoticeTimers.removeAll()
    }

    private func chore(_ work: @escaping Chore) {
        choreQueue.yield(work)
    }

    // MARK: - Rooms

    private func answerInvite(to room: MatrixRoomID, state: [MatrixEvent]) async {
        let invite = state.last { $0.type == "m.room.member" && $0.stateKey == configuration.userID.rawValue }
        let inviter = invite?.sender ?? ""
        guard configuration.invites.allows(inviter) else {
            logger.notice("refused an invite from a user who may not invite the bot", metadata: [
                "matrix.room": "\(room)", "matrix.inviter": "\(inviter)"])
            do { try await client.leave(room, reason: "Invites are accepted only from allowed users.") } catch {
                logger.warning("could not refuse the invite", metadata: ["matrix.room": "\(room)", "matrix.error": "\(error)"])
            }
            return
        }
        do {
            _ = try await client.join(room.rawValue)
            logger.info("joined on invite", metadata: ["matrix.room": "\(room)", "matrix.inviter": "\(inviter)"])
            if invite?.content["is_direct"]?.bool == true { await mark(room, .direct) }
        } catch {
            logger.warning("could not join on invite", metadata: ["matrix.room": "\(room)", "matrix.error": "\(error)"])
        }
    }

    private func mark(_ room: MatrixRoomID, _ flag: MatrixSavedState.RoomFlag) async {
        switch flag {
        case .direct: rooms[room].direct = true
        case .encryptionNoticeSent: rooms[room].encryptionNoticeSent = true
        }
        do {
            try await store?.markRoom(account: configuration.stateAccount, room: room, flag)
        } catch {
            logger.error("could not store a room's flag", metadata: ["matrix.room": "\(room)", "matrix.error": "\(error)"])
        }
    }

    /// Once per encrypted room: say that the bot cannot read it. (The notice itself is sent
    /// unencrypted, which every client shows.)
    private func tellIfEncrypted(_ room: MatrixRoomID) async {
        guard rooms[room].encrypted, !rooms[room].encryptionNoticeSent, crypto == nil else { return }
        await mark(room, .encryptionNoticeSent)
        logger.notice("the room is end-to-end encrypted; the bot cannot read it", metadata: ["matrix.room": "\(room)"])
        let content = MatrixOutbound.reply(
            BotSentence.cannotReadEncryptedRoom.text(in: configuration.language), style: .notice, inReplyTo: nil, thread: nil, mention: nil)
        chore { [client, logger] in
            do {
                _ = try await client.send(content, to: room, transactionID: "parley.encrypted." + room.rawValue)
            } catch {
                logger.warning("could not tell an encrypted room that the bot cannot read it", metadata: ["matrix.error": "\(error)"])
            }
        }
    }


    private func leaveIfAlone(_ room: MatrixRoomID) {
        guard configuration.leaveWhenAlone, rooms[room].joinedMembers == 1,
              !configuration.rooms.contains(room.rawValue), !configuration.rooms.contains(rooms.channel(for: room)) else { return }
        rooms.forget(room)
        logger.info("everyone else has left; leaving the room", metadata: ["matrix.room": "\(room)"])
        chore { [client] in try? await client.leave(room) }
    }

    // MARK: - Sending

    public func members(of channel: ChannelKey) async -> [String] {
        rooms.memberNames(in: rooms.room(forChannel: channel.channel))
    }

    public func send(_ message: OutboundMessage) async throws {
        guard message.part != .fragment else { return }
        let text = MatrixOutbound.clean(message.text)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        let room = rooms.room(forChannel: message.channel.channel)
        // Never in clear into an encrypted room (the one notice that the bot cannot read it is
        // sent on its own path).
        guard !rooms[room].encrypted || crypto != nil else {
            logger.warning("refused to send into an encrypted room", metadata: ["matrix.room": "\(room)"])
            throw MatrixError.encryptedRoom(room)
        }
        let style = message.style
        let question = message.replyTo.map { MatrixEventID($0.rawValue) }
        let key = question.map { ReplyKey(room: room, question: $0) }
        do {
            if let key, let original = draftEvents[key] {
                if message.part != .draft { draftEvents[key] = nil }
                let (sealed, type) = try await self.sealed(MatrixOutbound.edit(of: original, to: text, style: style), in: room)
                try await dispatch(sealed, type: type, to: room, transactionID: "parley.edit." + UUID().uuidString, answering: question)
                return
            }
            let transactionID: String
            if let question {
                let index = postsPerQuestion[question, default: 0]
                postsPerQuestion[question] = index + 1
                transactionID = "parley.reply.\(question.rawValue).\(index)"
            } else {
                transactionID = "parley." + UUID().uuidString
            }
            let mention = message.recipient.map { MatrixUserID($0.id.rawValue) }.filter { $0.isValid && !rooms[room].direct }
            let content = MatrixOutbound.reply(
                text, style: style, inReplyTo: question, thread: message.thread.map { MatrixEventID($0.rawValue) }, mention: mention)
            let (sealed, type) = try await self.sealed(content, in: room)
            if message.part == .draft, let key {
                // Its edits need its event id: the first part of a streamed reply is awaited.
                draftEvents[key] = try await client.send(sealed, type: type, to: room, transactionID: transactionID)
            } else {
                try await dispatch(sealed, type: type, to: room, transactionID: transactionID, answering: question)
            }
        } catch {
            Self.logUndelivered(to: room, answering: question, error, logger: logger)
            throw error
        }
    }

    /// Starts sending `content` and returns once a slot among `sendsInFlight` is free and the
    /// send has begun, so the session goes on to its next question while the homeserver posts
    /// this one. The send retries by transaction id (posted once however often it is tried);
    /// the question it answers is settled only after it ends, and a send for the same question
    /// waits for the one before. One that fails for good is logged here: the core has moved on.
    private func dispatch(
        _ content: JSONValue, type: String, to room: MatrixRoomID, transactionID: String, answering question: MatrixEventID?
    ) async throws {
        try await sendSlots.acquire()
        inFlight.started(answering: question)
        let previous = question.flatMap { lastSend[$0] }
        let task = Task { [client, logger] in
            await previous?.value
            do {
                _ = try await client.send(content, type: type, to: room, transactionID: transactionID)
            } catch {
                Self.logUndelivered(to: room, answering: question, error, logger: logger)
            }
            await sendEnded(answering: question)
        }
        if let question { lastSend[question] = task }
    }

    private static func logUndelivered(to room: MatrixRoomID, answering question: MatrixEventID?, _ error: any Error, logger: Logger) {
        logger.error("could not deliver a reply", metadata: [
            "matrix.room": "\(room)", "matrix.question": "\(question?.rawValue ?? "none")", "matrix.error": "\(error)"])
    }

    private func sendEnded(answering question: MatrixEventID?) async {
        await sendSlots.release()
        let settled = inFlight.ended(answering: question)
        if let question, !inFlight.isOpen(question) { lastSend[question] = nil }
        if let settled { await settleNow(settled) }
        if inFlight.isEmpty { sendsEnded.releaseAll() }
    }

    /// Returns once every reply taken so far has been acknowledged or given up.
    public func drain() async {
        while !inFlight.isEmpty, !Task.isCancelled {
            await sendsEnded.wait(since: sendsEnded.generation)
        }
    }

    // MARK: - Moderation

    public func perform(_ action: ModerationAction, in channel: ChannelKey) async throws {
        let room = rooms.room(forChannel: channel.channel)
        let levels = try await client.powerLevels(in: room)
        rooms[room].powerLevels = levels
        let mine = levels.level(of: configuration.userID)
        let needed: Int
        switch action.kind {
        case .kick: needed = levels.kick
        case .ban: needed = levels.ban
        case .redact: needed = levels.redact
        case .quiet: throw ConnectorError.unsupportedAction(action, network: network)
        }
        guard mine >= needed else {
            throw MatrixError.notPermitted(action: action.kind.rawValue, room: room, level: mine, required: needed)
        }
        switch action.kind {
        case .kick, .ban:
            try await client.remove(MatrixUserID(action.target.id.rawValue), from: room, how: action.kind.rawValue, reason: action.reason)
        case .redact:
            guard let event = action.message else { throw ConnectorError.unsupportedAction(action, network: network) }
            try await client.redact(MatrixEventID(event.rawValue), in: room, reason: action.reason, transactionID: "parley.redact." + UUID().uuidString)
        case .quiet:
            break
        }
    }
}

extension Optional {
    fileprivate func filter(_ keep: (Wrapped) -> Bool) -> Wrapped? {
        guard let value = self, keep(value) else { return nil }
        return value
    }
}
