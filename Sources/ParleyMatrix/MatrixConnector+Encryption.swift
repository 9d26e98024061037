import Foundation
import Logging
import ParleyCore

/// Encrypted rooms, when `crypto_pickle_key` is set: the device's keys brought back from the
/// database (or made) at sign-in, published, and topped up as people claim one-time keys; room
/// keys taken from to-device messages; encrypted messages read as the clear events inside; and
/// replies encrypted for every device of every member. Without a pickle key the bot tells an
/// encrypted room once that it cannot read it, and sends nothing else there.
extension MatrixConnector {
    /// Restores this device's encryption state, or makes it for a new device, and publishes its
    /// keys. Without a pickle key or a database it says why once and leaves encryption off; a
    /// pickle key that does not open the stored state is an error, never a silent new device.
    func startEncryption() async {
        guard crypto == nil else { return }
        guard let key = pickleKey else {
            logger.info("encryption is off: set crypto_pickle_key (or crypto_pickle_key_file) to give this device keys")
            return
        }
        guard let store = cryptoStore, let device = deviceID else {
            logger.warning("encryption is off: it needs the database (storage) and a device id from the homeserver")
            return
        }
        do {
            let records = try await store.loadCrypto(account: configuration.stateAccount)
            let machine: CryptoMachine
            if let restored = try CryptoMachine.restore(from: records, key: key, user: configuration.userID, device: device) {
                machine = restored
                logger.info("encryption keys restored", metadata: ["matrix.device": "\(device)"])
            } else {
                if let old = records.first(where: { $0.kind == .account })?.key {
                    logger.warning(
                        "this is a new device: the stored encryption keys belong to another one, and what was encrypted for it cannot be read here",
                        metadata: ["matrix.device": "\(device)", "matrix.old_device": "\(old)"])
                } else {
                    logger.info("a new device: making its encryption keys", metadata: ["matrix.device": "\(device)"])
                }
                machine = try CryptoMachine.create(user: configuration.userID, device: device)
            }
            crypto = machine
            // The server's count first (an empty upload answers it), then what is missing.
            let counts = try await client.uploadKeys(.object([:]))
            try await publish(
                machine, serverCount: counts.oneTimeKeyCounts["signed_curve25519"] ?? 0,
                hasFallbackKey: !records.isEmpty, includeDeviceKeys: true)
            logger.info("encryption keys published", metadata: [
                "matrix.device": "\(device)", "matrix.ed25519": "\(try machine.identityKeys.ed25519)"])
        } catch let error as OlmError where error.code == .badPickleKey {
            crypto = nil
            logger.error("encryption is off: crypto_pickle_key does not open the stored encryption keys; give the key they were made with")
        } catch {
            crypto = nil
            logger.error("encryption is off: could not set up this device's keys", metadata: ["matrix.error": "\(error)"])
        }
    }

    /// Publishes more one-time keys (and a fallback key) when a sync says the server runs low.
    func topUpKeys(serverCounts: [String: Int]?, unusedFallbackKeys: [String]?) async {
        guard let machine = crypto, let count = serverCounts?["signed_curve25519"] ?? (serverCounts == nil ? nil : 0) else { return }
        let hasFallback = unusedFallbackKeys?.contains("signed_curve25519") ?? true
        do {
            try await publish(machine, serverCount: count, hasFallbackKey: hasFallback, includeDeviceKeys: false)
        } catch {
            logger.warning("could not publish more one-time keys; trying again after the next sync", metadata: ["matrix.error": "\(error)"])
        }
    }

    /// Keys made are stored before they are uploaded (a key the server hands out must never be
    /// one the device forgot), and marked published after.
    private func publish(_ machine: CryptoMachine, serverCount: Int, hasFallbackKey: Bool, includeDeviceKeys: Bool) async throws {
        guard let body = try machine.keysToUpload(serverCount: serverCount, hasFallbackKey: hasFallbackKey, includeDeviceKeys: includeDeviceKeys) else {
            return
        }
        try await saveCrypto(machine)
        _ = try await client.uploadKeys(body)
        machine.markKeysPublished()
        try await saveCrypto(machine)
    }

    /// The configured `crypto_pickle_key`, as libolm takes it.
    private var pickleKey: PickleKey? { configuration.cryptoPickleKey.map { PickleKey(Array($0.value.utf8)) } }

    func saveCrypto(_ machine: CryptoMachine) async throws {
        guard let store = cryptoStore, let key = pickleKey else { return }
        let records = try machine.changes(pickledWith: key)
        if !records.isEmpty { try await store.saveCrypto(account: configuration.stateAccount, records) }
    }

    // MARK: - Reading

    /// What became of an encrypted room event.
    enum Opened {
        case clear(MatrixEvent)
        /// Its room key has not come (the Megolm session id): it waits, taken and pending.
        case waiting(session: String)
        /// Not believed (logged).
        case refused
    }

    /// The clear event inside `event`, with its id, sender and time.
    func opened(_ event: MatrixEvent, in room: MatrixRoomID) -> Opened {
        guard let machine = crypto else { return .refused }
        do {
            let clear = try machine.decrypt(event, in: room)
            return .clear(MatrixEvent(
                type: clear.type, eventID: event.eventID, sender: event.sender, originServerTS: event.originServerTS,
                content: clear.content))
        } catch .missingRoomKey(let session) {
            logger.info("an encrypted message waits for its room key", metadata: [
                "matrix.room": "\(room)", "matrix.event": "\(event.eventID?.rawValue ?? "")", "matrix.session": "\(session)"])
            return .waiting(session: session)
        } catch {
            logger.warning("refused an encrypted message", metadata: [
                "matrix.room": "\(room)", "matrix.event": "\(event.eventID?.rawValue ?? "")", "matrix.sender": "\(event.sender)",
                "matrix.reason": "\(error)"])
            return .refused
        }
    }

    /// Takes in a sync's to-device messages (after fetching the devices of senders not yet
    /// known) and its device-list changes; returns the Megolm sessions whose keys came.
    func receiveToDevice(_ events: [SyncResponse.ToDeviceEvent], changed: [MatrixUserID], left: [MatrixUserID]) async -> [String] {
        guard let machine = crypto else { return [] }
        for user in left {
            machine.devices.forget(user)
            queriedUsers.remove(user)
        }
        for user in changed { queriedUsers.remove(user) }
        let encrypted = events.filter { $0.type == "m.room.encrypted" }
        await refreshDevices(of: Array(Set(encrypted.map(\.sender)).filter { !queriedUsers.contains($0) }))
        var arrived: [String] = []
        for event in encrypted {
            do {
                if let key = try machine.receiveToDevice(sender: event.sender, content: event.content) {
                    logger.debug("a room key arrived", metadata: ["matrix.room": "\(key.room)", "matrix.session": "\(key.sessionID)"])
                    arrived.append(key.sessionID)
                }
            } catch {
                logger.warning("refused an encrypted to-device message", metadata: [
                    "matrix.sender": "\(event.sender)", "matrix.reason": "\(error)"])
            }
        }
        do {
            try await saveCrypto(machine)
        } catch {
            logger.error("could not store the encryption state", metadata: ["matrix.error": "\(error)"])
        }
        for event in events where event.type == "m.room_key_request" { await answerKeyRequest(event) }
        return arrived
    }

    /// Fetches the device keys of `users` (only self-signed devices are kept).
    func refreshDevices(of users: [MatrixUserID]) async {
        guard let machine = crypto, !users.isEmpty else { return }
        do {
            let answer = try await client.queryKeys(users)
            for user in users {
                let refused = machine.devices.update(user, from: answer[user] ?? .object([:]))
                if !refused.isEmpty {
                    logger.warning("ignored devices whose keys are not theirs or not signed", metadata: [
                        "matrix.user": "\(user)", "matrix.devices": "\(refused.joined(separator: ","))"])
                }
                queriedUsers.insert(user)
            }
        } catch {
            logger.warning("could not fetch people's device keys", metadata: ["matrix.error": "\(error)"])
        }
    }

    // MARK: - Writing

    /// `content` as it may go into `room`: encrypted for every device of every member in an
    /// encrypted room (the room key shared first with those that lack it; never with a device
    /// `blacklisted_devices` names), as is elsewhere.
    func sealed(_ content: JSONValue, in room: MatrixRoomID) async throws -> (content: JSONValue, type: String) {
        guard rooms[room].encrypted else { return (content, "m.room.message") }
        guard let machine = crypto else { throw MatrixError.encryptedRoom(room) }
        let members: [MatrixUserID]
        if let known = encryptedRoomMembers[room] {
            members = known
        } else {
            members = try await client.joinedMembers(of: room)
            encryptedRoomMembers[room] = members
        }
        await refreshDevices(of: members.filter { !queriedUsers.contains($0) })
        let devices = members.flatMap { machine.devices.devices(of: $0) }
            .filter { !($0.user == configuration.userID && $0.id == deviceID) && !isBlacklisted($0) }
        try await openSessions(with: devices, machine)
        let readers = devices.filter(machine.hasSession)
        let rules = CryptoMachine.RotationRules(rooms[room].encryption ?? .object([:]))
        let now = clock.now()
        let keys = try machine.roomKeyMessages(for: room, to: readers, rules: rules, now: now)
        if !keys.isEmpty {
            try await saveCrypto(machine)
            try await client.sendToDevice(
                type: "m.room.encrypted", keys.map { (user: $0.user, device: $0.device, content: $0.content) },
                transactionID: "parley.keys." + UUID().uuidString)
        }
        machine.confirmShared(room, with: readers)
        let encrypted = try machine.encrypt("m.room.message", content, in: room, readers: readers, rules: rules, now: now)
        try await saveCrypto(machine)
        return (encrypted, "m.room.encrypted")
    }

    /// Olm sessions with those of `devices` that have none, from claimed one-time keys; a device
    /// without a valid key to claim is left out (and said).
    private func openSessions(with devices: [KnownDevices.Device], _ machine: CryptoMachine) async throws {
        let missing = machine.devicesWithoutSession(devices)
        guard !missing.isEmpty else { return }
        let claimed = try await client.claimKeys(missing.map { (user: $0.user, device: $0.id) })
        for device in missing {
            if let key = claimed[device.user]?[device.id], machine.startSession(with: device, oneTimeKey: key) { continue }
            logger.warning("a device gets no room key: it has no valid one-time key to claim", metadata: [
                "matrix.user": "\(device.user)", "matrix.device": "\(device.id)"])
        }
    }

    // MARK: - Key requests

    /// Answers an `m.room_key_request`: the key goes, over Olm, to another device of the bot's own
    /// account that lacks it; any other request is ignored (and logged).
    func answerKeyRequest(_ event: SyncResponse.ToDeviceEvent) async {
        // Requests this device sent to all of the account's devices come back to it too.
        guard let machine = crypto, event.content["action"]?.string == "request",
              !(event.sender == configuration.userID && event.content["requesting_device_id"]?.string == deviceID) else { return }
        if event.sender == configuration.userID, !queriedUsers.contains(event.sender) { await refreshDevices(of: [event.sender]) }
        switch machine.answer(keyRequest: event.content, from: event.sender) {
        case .ignore(let reason):
            logger.info("ignored a room key request", metadata: [
                "matrix.sender": "\(event.sender)", "matrix.device": "\(event.content["requesting_device_id"]?.string ?? "")",
                "matrix.reason": "\(reason)"])
        case .forward(let device, let content):
            do {
                try await openSessions(with: [device], machine)
                guard let message = try machine.olmEncrypted("m.forwarded_room_key", content, to: device) else { return }
                try await saveCrypto(machine)
                try await client.sendToDevice(
                    type: "m.room.encrypted", [(user: message.user, device: message.device, content: message.content)],
                    transactionID: "parley.forward." + UUID().uuidString)
                logger.info("sent a room key to another device of this account", metadata: [
                    "matrix.device": "\(device.id)", "matrix.session": "\(content["session_id"]?.string ?? "")"])
            } catch {
                logger.warning("could not answer a room key request", metadata: ["matrix.error": "\(error)"])
            }
        }
    }

    /// Asks the bot's other devices, and the device that sent it, for the key of a message that
    /// waits for one (once per session).
    func requestKey(for event: MatrixEvent, in room: MatrixRoomID) async {
        guard let machine = crypto, let session = event.content["session_id"]?.string, !machine.requestedKeys.contains(session),
              let request = machine.keyRequest(for: event, in: room) else { return }
        var recipients = [(user: configuration.userID, device: "*", content: request)]
        if let device = event.content["device_id"]?.string, event.sender != configuration.userID {
            recipients.append((user: event.sender, device: device, content: request))
        }
        do {
            try await client.sendToDevice(type: "m.room_key_request", recipients, transactionID: "parley.keyrequest." + UUID().uuidString)
            logger.info("asked for a room key that has not come", metadata: ["matrix.room": "\(room)", "matrix.session": "\(session)"])
        } catch {
            logger.warning("could not ask for a room key", metadata: ["matrix.error": "\(error)"])
        }
    }

    /// A device `blacklisted_devices` names: it is never given room keys.
    func isBlacklisted(_ device: KnownDevices.Device) -> Bool {
        configuration.blacklistedDevices.contains { $0.covers(user: device.user, device: device.id) }
    }

    // MARK: - Keys that do not come

    /// After `roomKeyWait`, tells `room` once that a message there waits for its key.
    func scheduleKeyNotice(for room: MatrixRoomID) {
        guard keyNoticeTimers[room] == nil, !keyNoticeSent.contains(room) else { return }
        let wait = configuration.roomKeyWait
        keyNoticeTimers[room] = Task { [clock] in
            do {
                try await clock.sleep(for: wait)
            } catch {
                return
            }
            await self.noticeIfStillWaiting(in: room)
        }
    }

    private func noticeIfStillWaiting(in room: MatrixRoomID) async {
        keyNoticeTimers[room] = nil
        let waiting = waitingForKeys.values.reduce(0) { $0 + $1.filter { $0.room == room }.count }
        guard waiting > 0, !keyNoticeSent.contains(room) else { return }
        keyNoticeSent.insert(room)
        logger.notice("messages still wait for their room keys; told the room", metadata: [
            "matrix.room": "\(room)", "matrix.count": "\(waiting)"])
        let content = MatrixOutbound.reply(
            BotSentence.messageKeyMissing.text(in: configuration.language), style: .notice, inReplyTo: nil, thread: nil, mention: nil)
        do {
            let (sealed, type) = try await self.sealed(content, in: room)
            _ = try await client.send(sealed, type: type, to: room, transactionID: "parley.keywait." + UUID().uuidString)
        } catch {
            logger.warning("could not tell a room that a message waits for its key", metadata: ["matrix.error": "\(error)"])
        }
    }
}
