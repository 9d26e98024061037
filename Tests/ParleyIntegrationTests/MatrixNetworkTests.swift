import Foundation
import Logging
import ParleyCore
import ParleyDaemon
import ParleyHTTP
@testable import ParleyMatrix
import ParleyTesting
import Testing

/// The Matrix connector against a real Synapse (`scripts/matrix-test-server`), driven by a human
/// client. One test at a time: the bot's account is shared, and two bots on it would both answer.
@Suite(.serialized) struct MatrixNetworkTests {
    let server: MatrixTestServer

    init() throws {
        server = try MatrixTestServer.load()
    }

    /// A config for the bot on the test homeserver; `backend` is the YAML of the `answer` backend.
    func config(
        database: String, backend: String = "{ type: echo }", extraNetwork: String = "", extraDefaults: String = "",
        moderation: String = "{ rate_limit: { per_user: off, per_channel: off } }", extra: String = ""
    ) -> String {
        """
        storage: { path: \(database) }
        backends:
          answer: \(backend)
        networks:
          matrix:
            type: matrix
            homeserver: \(server.homeserver.absoluteString)
            user_id: "\(server.botUser)"
            password: "\(server.botPassword)"
            invites_from: ["\(server.humanUser)"]
            edit_interval_ms: 200
            max_reconnect_delay_s: 2
        \(extraNetwork)
        defaults: { backend: answer, queue: 1000, trigger: [mention, direct]\(extraDefaults) }
        # The tests send faster than people do; the rate limits are the core's business, not tested here.
        moderation: \(moderation)
        \(extra)
        logging: { level: debug }

        """
    }

    static func scratchDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("parley-matrix-\(UUID().uuidString)/p.sqlite").path
    }

    /// The whole daemon, in-process, on `text`'s config, until the returned task is cancelled.
    func startBot(_ text: String, log: CapturedLog) throws -> Task<Void, any Error> {
        let configuration = try ConfigLoader.parse(text, file: "matrix-test.yaml", environment: [:])
        let assembly = try Daemon.assemble(configuration, mode: .daemon, logger: log.logger)
        return Task { try await assembly.run() }
    }

    /// Polls gently (the homeserver and the bot share two cores with this test).
    func waitFor<T>(
        _ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(250),
        _ condition: () async throws -> T?
    ) async throws -> T {
        try await eventually(what, timeout: timeout) {
            if let value = try await condition() { return value }
            try await Task.sleep(for: interval)
            return nil
        }
    }

    /// A room the human made and the bot joined on invite.
    func roomWithBot(_ human: MatrixHuman) async throws -> String {
        let room = try await human.createRoom(inviting: [server.botUser])
        _ = try await waitFor("the bot to join on invite") {
            try await human.membership(of: server.botUser, in: room) == "join" ? true : nil
        }
        return room
    }

    func reply(to question: String, in room: String, by human: MatrixHuman) async throws -> JSONValue {
        try await waitFor("a reply to \(question)") {
            try await human.replies(from: server.botUser, in: room)[question]?.first
        }
    }

    /// The reply's content once its edits have brought it to `text`.
    func reply(to question: String, in room: String, by human: MatrixHuman, reading text: String) async throws -> (event: JSONValue, shown: JSONValue) {
        let event = try await reply(to: question, in: room, by: human)
        let shown = try await waitFor("the reply to read '\(text)'") {
            let content = try await human.currentContent(of: event, in: room)
            return content?["body"]?.string == text ? content : nil
        }
        return (event, shown)
    }

    @Test func joinsOnInviteAndAnswersAMentionAsAFormattedNoticeInReply() async throws {
        let human = try await server.human()
        let log = CapturedLog()
        let bot = try startBot(config(database: Self.scratchDatabase()), log: log)
        defer { bot.cancel() }
        let room = try await roomWithBot(human)
        let question = try await human.mention(server.botUser, "what is **Matrix**?", in: room)
        let (reply, content) = try await reply(to: question, in: room, by: human, reading: "You said: what is **Matrix**?")
        #expect(reply["content"]?["msgtype"]?.string == "m.notice")
        #expect(content["msgtype"]?.string == "m.notice")
        #expect(content["format"]?.string == "org.matrix.custom.html")
        #expect(content["formatted_body"]?.string == "<p>You said: what is <strong>Matrix</strong>?</p>")
        #expect(reply["content"]?["m.mentions"]?["user_ids"]?.array == [.string(server.humanUser)])
        #expect(!log.contains("password"), "the log must not carry the password")
        #expect(!log.snapshot.contains { $0.contains(server.botPassword) })
    }

    @Test func answersInsideTheThreadTheQuestionWasIn() async throws {
        let human = try await server.human()
        let bot = try startBot(config(database: Self.scratchDatabase()), log: CapturedLog())
        defer { bot.cancel() }
        let room = try await roomWithBot(human)
        let root = try await human.send(.object(["msgtype": .string("m.text"), "body": .string("a topic")]), to: room)
        let question = try await human.mention(server.botUser, "in the thread", in: room, thread: root)
        let (reply, _) = try await reply(to: question, in: room, by: human, reading: "You said: in the thread")
        let relation = try #require(reply["content"]?["m.relates_to"])
        #expect(relation["rel_type"]?.string == "m.thread")
        #expect(relation["event_id"]?.string == root)
        #expect(relation["m.in_reply_to"]?["event_id"]?.string == question)
    }

    @Test func streamsAReplyFromTheLocalEngineByEditingOneEvent() async throws {
        let human = try await server.human()
        let model = server.repository.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let text = config(
            database: Self.scratchDatabase(), backend: "{ type: local, model: \(model), context: 2048 }",
            extraDefaults: ", max_tokens: 64, temperature: 0")
        let bot = try startBot(text, log: CapturedLog())
        defer { bot.cancel() }
        let room = try await roomWithBot(human)
        let question = try await human.mention(server.botUser, "Write three sentences about the sea.", in: room)
        let reply = try await reply(to: question, in: room, by: human)
        let replyID = try #require(reply["event_id"]?.string)
        // Wait for the stream to end: the edits stop growing.
        var edits: [JSONValue] = []
        var stableRounds = 0
        _ = try await waitFor("the edits to finish") {
            let now = try await human.edits(of: replyID, in: room)
            stableRounds = now.count == edits.count && !now.isEmpty ? stableRounds + 1 : 0
            edits = now
            return stableRounds >= 8 ? true : nil
        }
        #expect(edits.count >= 1, "a streamed reply is edited at least once")
        let first = try #require(reply["content"]?["body"]?.string)
        let texts = edits.compactMap { $0["content"]?["m.new_content"]?["body"]?.string }
        #expect(texts.count == edits.count)
        var previous = first
        for text in texts {
            #expect(text.hasPrefix(previous.trimmingCharacters(in: .whitespacesAndNewlines)), "each edit extends the one before")
            previous = text
        }
        #expect(previous.count > first.count)
        for edit in edits {
            #expect(edit["content"]?["body"]?.string?.hasPrefix("* ") == true, "the fallback body of an edit starts with '* '")
            #expect(edit["content"]?["m.new_content"]?["format"]?.string == "org.matrix.custom.html")
        }
        #expect(try await human.replies(from: server.botUser, in: room)[question]?.count == 1)
    }

    @Test func answersEverythingInADirectRoomWithoutAMention() async throws {
        let human = try await server.human()
        let bot = try startBot(config(database: Self.scratchDatabase()), log: CapturedLog())
        defer { bot.cancel() }
        let room = try await human.createRoom(inviting: [server.botUser], direct: true)
        _ = try await waitFor("the bot to join") { try await human.membership(of: server.botUser, in: room) == "join" ? true : nil }
        let question = try await human.say("no mention here", in: room)
        _ = try await reply(to: question, in: room, by: human, reading: "You said: no mention here")
    }

    @Test func aRoomNamedByItsAliasInTheConfigIsJoinedAndGovernedByTheAliasesChannelRule() async throws {
        let human = try await server.human()
        let aliasName = "helpdesk" + String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let alias = "#\(aliasName):localhost"
        let room = try await human.createRoom(inviting: [], alias: aliasName)
        let text = config(
            database: Self.scratchDatabase(), extraNetwork: "    rooms: [\"\(alias)\"]",
            extra: "channels:\n  - { match: { network: matrix, channel: \"\(alias)\" }, trigger: always }")
        let bot = try startBot(text, log: CapturedLog())
        defer { bot.cancel() }
        _ = try await waitFor("the bot to join the configured room") {
            try await human.membership(of: server.botUser, in: room) == "join" ? true : nil
        }
        let question = try await human.say("anyone there?", in: room)
        _ = try await reply(to: question, in: room, by: human, reading: "You said: anyone there?")
    }

    @Test func tellsAnEncryptedRoomOnceThatItCannotReadIt() async throws {
        let human = try await server.human()
        let log = CapturedLog()
        let bot = try startBot(config(database: Self.scratchDatabase()), log: log)
        defer { bot.cancel() }
        let room = try await human.createRoom(inviting: [server.botUser], encrypted: true)
        let notice = try await waitFor("the notice") {
            try await human.messages(in: room).first { $0["sender"]?.string == server.botUser }
        }
        #expect(notice["content"]?["msgtype"]?.string == "m.notice")
        #expect(notice["content"]?["body"]?.string?.contains("encrypted") == true)
        // Issue 12: a question in clear is not answered in clear.
        try await human.mention(server.botUser, "are you there?", in: room)
        // The bot marks a batch read after anything the batch made it say about the room, so
        // once the last message is marked read, a second notice or an answer would be there.
        let last = try await human.mention(server.botUser, "still there?", in: room)
        _ = try await waitFor("the bot to mark the last message read") {
            try await human.readReceipts(of: server.botUser, in: room).contains(last) ? true : nil
        }
        #expect(log.snapshot.filter { $0.contains("not answering a message in an encrypted room") }.count == 2)
        #expect(try await human.messages(in: room).filter { $0["sender"]?.string == server.botUser }.count == 1)
    }

    @Test func leavesARoomWhenEveryoneElseHasLeft() async throws {
        let human = try await server.human()
        let log = CapturedLog()
        let bot = try startBot(config(database: Self.scratchDatabase()), log: log)
        defer { bot.cancel() }
        let room = try await roomWithBot(human)
        try await human.leave(room)
        _ = try await waitFor("the bot to leave") {
            log.snapshot.contains { $0.contains("everyone else has left; leaving the room") && $0.contains(room) } ? true : nil
        }
    }

    @Test func redactsAndKicksAsItsBlocklistSaysWhereItsPowerAllows() async throws {
        let human = try await server.human()
        let stranger = try await server.stranger()
        let moderation = """
            
              rate_limit: { per_user: off, per_channel: off }
              blocklist:
                - { pattern: "spamword", action: redact }
                - { pattern: "kickme", action: kick }
            """
        let bot = try startBot(config(database: Self.scratchDatabase(), moderation: moderation), log: CapturedLog())
        defer { bot.cancel() }
        let room = try await human.createRoom(inviting: [server.botUser, server.strangerUser])
        try await stranger.join(room)
        _ = try await waitFor("the bot to join") { try await human.membership(of: server.botUser, in: room) == "join" ? true : nil }
        try await human.setPower(50, for: server.botUser, in: room)
        let spam = try await stranger.say("buy spamword now", in: room)
        _ = try await waitFor("the spam to be redacted") {
            let event = try await human.event(spam, in: room)
            return event["content"] == .object([:]) && event["unsigned"]?["redacted_because"] != nil ? true : nil
        }
        try await stranger.say("kickme please", in: room)
        _ = try await waitFor("the stranger to be kicked") {
            try await human.membership(of: server.strangerUser, in: room) == "leave" ? true : nil
        }
    }

    // Issue 15, must show: a redaction on the real Synapse removes the line (and the answer to
    // it) from the next prompt; an edit replaces it. The backend is a scripted OpenAI-compatible
    // server, to read the prompts the bot sends.
    @Test func aRedactionRemovesTheLineFromTheNextPromptAndAnEditReplacesIt() async throws {
        let ok = ScriptedHTTPServer.Reply.respond(status: 200, pieces: [(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", .zero)])
        let model = try ScriptedHTTPServer([ok, ok, ok])
        defer { model.stop() }
        let human = try await server.human()
        let backend = "{ type: openai, base_url: \"\(model.baseURL.absoluteString)\", model: m, stream: true }"
        let bot = try startBot(config(database: Self.scratchDatabase(), backend: backend), log: CapturedLog())
        defer { bot.cancel() }
        let room = try await roomWithBot(human)
        let secret = try await human.mention(server.botUser, "my secret word is ZEBRA-4411", in: room)
        _ = try await reply(to: secret, in: room, by: human)
        let typo = try await human.mention(server.botUser, "my name is Alcie", in: room)
        _ = try await reply(to: typo, in: room, by: human)
        try await human.redact(secret, in: room)
        try await human.edit(typo, to: "\(MatrixHuman.localpart(server.botUser)): my name is Alice", in: room)
        let question = try await human.mention(server.botUser, "what do you know?", in: room)
        _ = try await reply(to: question, in: room, by: human)
        let prompt = try #require(model.requests.last)
        #expect(model.requests.count == 3)
        #expect(!prompt.contains("ZEBRA-4411"), "the redacted line is gone")
        #expect(prompt.contains("my name is Alice") && !prompt.contains("Alcie"), "the edit replaced the line")
        #expect(prompt.contains("what do you know?"))
    }

    @Test func refusesAnInviteFromAUserWhoMayNotInvite() async throws {
        let human = try await server.human()
        let stranger = try await server.stranger()
        let bot = try startBot(config(database: Self.scratchDatabase()), log: CapturedLog())
        defer { bot.cancel() }
        // The bot is up once it joins an allowed invite.
        _ = try await roomWithBot(human)
        let room = try await stranger.createRoom(inviting: [server.botUser])
        _ = try await waitFor("the bot to refuse the invite") {
            try await stranger.membership(of: server.botUser, in: room) == "leave" ? true : nil
        }
        let memberships = try await stranger.call(
            "GET", "/_matrix/client/v3/rooms/\(MatrixHuman.encode(room))/members")["chunk"]?.array ?? []
        #expect(!memberships.contains { $0["state_key"]?.string == server.botUser && $0["content"]?["membership"]?.string == "join" })
    }

    @Test func answersByItselfAfterTheHomeserverRestarts() async throws {
        let human = try await server.human()
        let log = CapturedLog()
        let bot = try startBot(config(database: Self.scratchDatabase()), log: log)
        defer { bot.cancel() }
        let room = try await roomWithBot(human)
        let before = try await human.mention(server.botUser, "before the restart", in: room)
        _ = try await reply(to: before, in: room, by: human)
        try server.restart()
        let after = try await human.mention(server.botUser, "after the restart", in: room)
        _ = try await reply(to: after, in: room, by: human, reading: "You said: after the restart")
        #expect(log.contains("Matrix sync failed; trying again"))
    }

    @Test func aBurstOf300MentionsEightInFlightGetsExactlyOneReplyEach() async throws {
        let human = try await server.human()
        let bot = try startBot(config(database: Self.scratchDatabase()), log: CapturedLog())
        defer { bot.cancel() }
        let room = try await roomWithBot(human)
        let count = 300
        let started = ContinuousClock.now
        let questions = try await withThrowingTaskGroup(of: String.self) { group in
            var sent: [String] = []
            for index in 0..<count {
                if index >= 8, let id = try await group.next() { sent.append(id) }
                group.addTask { try await human.mention(server.botUser, "burst \(index)", in: room) }
            }
            for try await id in group { sent.append(id) }
            return sent
        }
        #expect(Set(questions).count == count)
        let sent = ContinuousClock.now
        var answered = 0
        let replies: [String: [JSONValue]]
        do {
            replies = try await waitFor("every burst message to be answered", timeout: .seconds(240), every: .seconds(2)) {
                let replies = try await human.replies(from: server.botUser, in: room)
                answered = questions.filter { replies[$0] != nil }.count
                return answered == count ? replies : nil
            }
        } catch {
            Issue.record("\(answered) of \(count) answered")
            throw error
        }
        print("burst: sent in \(sent - started), all answered \(ContinuousClock.now - started) after the first send")
        // A room's questions are answered in order, so a second answer to anything would come
        // before the answer to a question asked after them all.
        let barrier = try await human.mention(server.botUser, "last one", in: room)
        _ = try await waitFor("the answer to the last question") {
            try await human.replies(from: server.botUser, in: room)[barrier]
        }
        let settled = try await human.replies(from: server.botUser, in: room)
        let doubled = questions.filter { (settled[$0]?.count ?? 0) != 1 }
        #expect(doubled.isEmpty, "answered more than once: \(doubled.count)")
        #expect(replies.count >= count)
    }

    /// The device's keys as another client sees them: published with a valid signature, one-time
    /// keys to claim, and the same device and identity after a restart (issue 12).
    @Test func publishesTheDevicesSignedKeysAndKeepsThemAcrossARestart() async throws {
        let pickleKey = "a-pickle-key-for-the-test-bot-0123456789abcdef"
        let human = try await server.human()
        let log = CapturedLog()
        let database = Self.scratchDatabase()
        let text = config(database: database, extraNetwork: "    crypto_pickle_key: \"\(pickleKey)\"")
        let first = try startBot(text, log: log)
        let published = try await waitFor("the keys to be published") { log.snapshot.first { $0.contains("encryption keys published") } }
        first.cancel()
        _ = await first.result
        let device = try #require(published.firstMatch(of: /matrix.device=(\S+)/)?.1).description
        let bot = MatrixUserID(server.botUser)

        let queried = try await human.call("POST", "/_matrix/client/v3/keys/query", .object([
            "device_keys": .object([server.botUser: .array([.string(device)])]),
        ]))
        let keys = try #require(queried["device_keys"]?[server.botUser]?[device])
        let ed25519 = try #require(keys["keys"]?["ed25519:\(device)"]?.string)
        #expect(published.contains(ed25519))
        #expect(DeviceKeys.isSigned(keys, by: bot, device: device, key: ed25519))
        let claimed = try await human.call("POST", "/_matrix/client/v3/keys/claim", .object([
            "one_time_keys": .object([server.botUser: .object([device: .string("signed_curve25519")])]),
        ]))
        guard case .object(let oneTimeKeys)? = claimed["one_time_keys"]?[server.botUser]?[device], let oneTimeKey = oneTimeKeys.values.first else {
            Issue.record("no one-time key to claim: \(claimed)")
            return
        }
        #expect(DeviceKeys.isSigned(oneTimeKey, by: bot, device: device, key: ed25519))

        let second = try startBot(text, log: log)
        defer { second.cancel() }
        _ = try await waitFor("the keys to be restored") { log.contains("encryption keys restored") ? true : nil }
        let again = try await waitFor("the keys to be published again") {
            log.snapshot.filter { $0.contains("encryption keys published") }.dropFirst().first
        }
        #expect(again.contains("matrix.device=\(device)") && again.contains(ed25519), "the same device, the same identity")
        #expect(log.snapshot.filter { $0.contains("a new device") }.count == 1, "the keys were made once, at the first start")
        #expect(!log.snapshot.contains { $0.contains(pickleKey) }, "the pickle key never reaches the log")
    }

    /// A person on an encrypting client (matrix-nio on vodozemac: not Parley's libolm) talks to
    /// the bot as `scenario` says; `scripts/matrix-e2e-human` prints what it decrypted.
    func encryptedConversation(_ scenario: JSONValue) async throws -> JSONValue {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-e2e-\(UUID().uuidString)")
        return try await finishEncryptedPerson(try startEncryptedPerson(scenario, in: folder))
    }

    func startEncryptedPerson(_ scenario: JSONValue, in folder: URL) throws -> (process: ChildProcess, output: String) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let scenarioPath = folder.appendingPathComponent("scenario.json").path
        try JSONEncoder().encode(scenario).write(to: URL(fileURLWithPath: scenarioPath))
        let output = folder.appendingPathComponent("output.txt").path
        let arguments = [
            server.repository.appendingPathComponent(".build-matrix/venv/bin/python").path,
            server.repository.appendingPathComponent("scripts/matrix-e2e-human").path,
            server.homeserver.absoluteString, server.humanUser, server.humanPassword, folder.path, scenarioPath,
        ]
        return (try ChildProcess.spawn(arguments, outputPath: output), output)
    }

    func finishEncryptedPerson(_ person: (process: ChildProcess, output: String)) async throws -> JSONValue {
        // Waited for on a thread of its own: the bot under test needs the concurrency pool's.
        let status = await withCheckedContinuation { (done: CheckedContinuation<Int32, Never>) in
            DispatchQueue.global().async { done.resume(returning: person.process.wait()) }
        }
        let printed = (try? String(contentsOfFile: person.output, encoding: .utf8)) ?? ""
        guard status == 0, let last = printed.split(separator: "\n").last,
              let result = try? JSONDecoder().decode(JSONValue.self, from: Data(last.utf8)) else {
            throw MatrixHuman.Failure(description: "the encrypting client failed (\(status)): \(printed.suffix(2000))")
        }
        return result
    }

    @Test func answersInAnEncryptedDirectChatAndTheHumansClientDecryptsEveryReply() async throws {
        let log = CapturedLog()
        let text = config(database: Self.scratchDatabase(), extraNetwork: "    crypto_pickle_key: \"an-encrypted-room-test-key-0123456789abcdef\"")
        let bot = try startBot(text, log: log)
        defer { bot.cancel() }
        _ = try await waitFor("the keys to be published") { log.contains("encryption keys published") ? true : nil }
        let questions = ["what is end-to-end encryption?", "and is this one read too?"]
        let result = try await encryptedConversation(.object([
            "bot": .string(server.botUser), "questions": .array(questions.map(JSONValue.string)), "timeout": .number(120),
        ]))
        #expect(result["undecryptable"]?.array == [], "every event from the bot decrypts on the human's client: \(result)")
        guard case .object(let asked)? = result["questions"], case .object(let replies)? = result["replies"] else {
            Issue.record("no replies: \(result)")
            return
        }
        for (event, question) in asked {
            let bodies = replies[event]?.array?.compactMap(\.string) ?? []
            #expect(bodies.last == "You said: \(question.string ?? "")", "\(bodies)")
            #expect(result["posts"]?[event] == .number(1), "answered exactly once: \(result)")
        }
        #expect(!log.contains("refused to send into an encrypted room"))
        #expect(!log.contains("cannot read it"))
    }

    /// Must show (issue 12): an encrypted room of three, one person on two devices; a streamed
    /// reply's edits decrypt on every device; after a leave, the next reply is in a session the
    /// leaver's device cannot decrypt.
    @Test func inAnEncryptedRoomOfThreeEveryDeviceReadsTheStreamedReplyAndALeaverNotTheNext() async throws {
        let model = server.repository.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let log = CapturedLog()
        let text = config(
            database: Self.scratchDatabase(), backend: "{ type: local, model: \(model), context: 2048 }",
            extraNetwork: "    crypto_pickle_key: \"a-room-of-three-test-key-0123456789abcdefgh\"",
            extraDefaults: ", max_tokens: 48, temperature: 0")
        let bot = try startBot(text, log: log)
        defer { bot.cancel() }
        _ = try await waitFor("the keys to be published") { log.contains("encryption keys published") ? true : nil }
        let result = try await encryptedConversation(.object([
            "room_of_three": .bool(true), "bot": .string(server.botUser), "timeout": .number(240),
            "alice": .object(["user": .string(server.humanUser), "password": .string(server.humanPassword)]),
            "mallory": .object(["user": .string(server.strangerUser), "password": .string(server.strangerPassword)]),
            "questions": .array([.string("Write two sentences about the sea."), .string("Write two sentences about trees.")]),
        ]))
        let seen = try #require(result["seen"])
        let first = try #require(seen["alice-phone"]?["first"]?.string)
        for device in ["alice-phone", "alice-laptop", "mallory"] {
            #expect(seen[device]?["first"]?.string == first, "\(device) read the same final text: \(result)")
            #expect(seen[device]?["first_posts"] == .number(1), "answered once")
            #expect((seen[device]?["first_edits"]?.number ?? 0) >= 1, "\(device) decrypted the stream's edits")
            #expect(seen[device]?["undecryptable"]?.array == [], "\(device): every event from the bot decrypted")
        }
        let second = try #require(seen["alice-phone"]?["second"]?.string)
        #expect(seen["alice-laptop"]?["second"]?.string == second && seen["alice-phone"]?["second_posts"] == .number(1))
        #expect(result["sessions"]?["first"] != result["sessions"]?["second"], "a new session after the leave")
        #expect(result["leaver_decrypted"] == .bool(false), "the leaver's device cannot decrypt the next reply")
    }

    /// Must show (issue 12): the 300-mention burst, eight in flight, in an encrypted room: each
    /// answered exactly once, every reply decrypted by the person's client.
    @Test func aBurstOf300EncryptedMentionsEightInFlightGetsExactlyOneReplyEach() async throws {
        let log = CapturedLog()
        let text = config(database: Self.scratchDatabase(), extraNetwork: "    crypto_pickle_key: \"an-encrypted-burst-test-key-0123456789abcdef\"")
        let bot = try startBot(text, log: log)
        defer { bot.cancel() }
        _ = try await waitFor("the keys to be published") { log.contains("encryption keys published") ? true : nil }
        let count = 300
        let result = try await encryptedConversation(.object([
            "burst": .number(Double(count)), "in_flight": .number(8), "bot": .string(server.botUser), "timeout": .number(600),
        ]))
        print("encrypted burst: sent in \(result["sent_s"]?.number ?? -1) s, all answered \(result["answered_s"]?.number ?? -1) s after the first send")
        let posts = try #require(result["posts"]?.array)
        let unanswered = posts.filter { $0 == .number(0) }.count
        if unanswered > 0 {
            print("\(unanswered) unanswered; the bot's log about keys:")
            for line in log.snapshot where line.contains("key") || line.contains("refused") { print("  \(line.prefix(300))") }
        }
        #expect(posts.count == count)
        #expect(posts.filter { $0 != .number(1) }.isEmpty, "each answered exactly once: \(posts)")
        #expect(result["bodies_right"] == .number(Double(count)), "each reply is its own question's: \(result)")
        #expect(result["barrier"] == .number(1))
        #expect(result["undecryptable"]?.array == [], "every reply decrypts")
        #expect(!log.contains("refused an encrypted message"))
    }

    /// Key requests (issue 12): another device of the bot's account that lacks the key of a reply
    /// asks for it and is sent it over Olm, and reads the reply; a person's request is ignored.
    @Test func anotherDeviceOfTheBotsAccountIsSentTheKeyItAsksForAndAPersonsRequestIsIgnored() async throws {
        let log = CapturedLog()
        let bot = try startBot(config(database: Self.scratchDatabase(), extraNetwork: "    crypto_pickle_key: \"a-key-request-test-key-0123456789abcdefghi\""), log: log)
        defer { bot.cancel() }
        _ = try await waitFor("the keys to be published") { log.contains("encryption keys published") ? true : nil }
        let conversation = try await encryptedConversation(.object([
            "bot": .string(server.botUser), "questions": .array([.string("a reply to ask the key of")]), "timeout": .number(120),
        ]))
        let room = try #require(conversation["room"]?.string)
        let human = try await server.human()
        let replyJSON = try #require(try await human.events(in: room, types: ["m.room.encrypted"]).last { $0["sender"]?.string == server.botUser })
        let reply = try JSONDecoder().decode(MatrixEvent.self, from: JSONEncoder().encode(replyJSON))

        // A second device of the bot's account, as another installation would be.
        let botUser = MatrixUserID(server.botUser)
        let login = try await MatrixHuman.login(server.homeserver, user: server.botUser, password: server.botPassword)
        defer { Task { [login] in _ = try? await login.call("POST", "/_matrix/client/v3/logout", .object([:])) } }
        var client = MatrixClient(
            transport: HomeserverTransport(homeserver: server.homeserver, http: CurlHTTPClient()),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        client.accessToken = Secret(login.token)
        let second = try CryptoMachine.create(user: botUser, device: try #require(login.deviceID))
        _ = try await client.uploadKeys(try #require(try second.keysToUpload(serverCount: 0, hasFallbackKey: false, includeDeviceKeys: true)))
        second.markKeysPublished()
        second.devices.update(botUser, from: try await client.queryKeys([botUser])[botUser] ?? .null)
        #expect(throws: CryptoMachine.Refusal.self) { try second.decrypt(reply, in: MatrixRoomID(room)) }

        let request = try #require(second.keyRequest(for: reply, in: MatrixRoomID(room)))
        try await client.sendToDevice(type: "m.room_key_request", [(user: botUser, device: "*", content: request)], transactionID: UUID().uuidString)
        var since: String?
        let key = try await waitFor("the forwarded key") { () -> CryptoMachine.RoomKey? in
            let sync = try await client.sync(since: since, filter: SyncFilter.json(timelineLimit: 1), timeout: .seconds(1))
            since = sync.nextBatch
            for event in sync.toDevice where event.type == "m.room.encrypted" {
                if let key = try? second.receiveToDevice(sender: event.sender, content: event.content) { return key }
            }
            return nil
        }
        #expect(key.sessionID == reply.content["session_id"]?.string)
        #expect(try second.decrypt(reply, in: MatrixRoomID(room)).content["body"]?.string == "You said: a reply to ask the key of")
        #expect(log.contains("sent a room key to another device of this account"))

        // A person's device asks the bot for the same key: ignored.
        var foreign = request
        if case .object(var members) = request {
            members["requesting_device_id"] = .string(human.deviceID ?? "HUMAN")
            members["request_id"] = .string(UUID().uuidString)
            foreign = .object(members)
        }
        _ = try await human.call("PUT", "/_matrix/client/v3/sendToDevice/m.room_key_request/\(UUID().uuidString)", .object([
            "messages": .object([server.botUser: .object(["*": foreign])]),
        ]))
        _ = try await waitFor("the person's request to be ignored") {
            log.snapshot.contains { $0.contains("ignored a room key request") && $0.contains("from another account") } ? true : nil
        }
        #expect(log.snapshot.filter { $0.contains("sent a room key to another device") }.count == 1)
    }

    /// `blacklisted_devices` (issue 12, trust): a blacklisted member's devices receive the reply
    /// and cannot decrypt it; everyone else's read it.
    @Test func aBlacklistedMembersDevicesAreNeverGivenTheRoomKey() async throws {
        let log = CapturedLog()
        let text = config(database: Self.scratchDatabase(), extraNetwork: """
                crypto_pickle_key: "a-blacklist-test-key-0123456789abcdefghijkl"
                blacklisted_devices: ["\(server.strangerUser)"]
            """)
        let bot = try startBot(text, log: log)
        defer { bot.cancel() }
        _ = try await waitFor("the keys to be published") { log.contains("encryption keys published") ? true : nil }
        let result = try await encryptedConversation(.object([
            "room_of_three": .bool(true), "mallory_blacklisted": .bool(true), "bot": .string(server.botUser), "timeout": .number(120),
            "alice": .object(["user": .string(server.humanUser), "password": .string(server.humanPassword)]),
            "mallory": .object(["user": .string(server.strangerUser), "password": .string(server.strangerPassword)]),
            "questions": .array([.string("who may read this?")]),
        ]))
        #expect(result["alice"] == .array([.string("You said: who may read this?"), .string("You said: who may read this?")]), "\(result)")
        #expect(result["mallory_undecryptable"] == .bool(true), "\(result)")
        #expect(result["mallory_read"] == .null)
    }

    /// An encrypted message whose room key never reaches the bot: after `room_key_wait_s` the
    /// room is told once, encrypted, and nothing is sent in clear.
    @Test func aMessageWhoseKeyNeverComesIsToldOnceAndEncrypted() async throws {
        let human = try await server.human()
        let log = CapturedLog()
        let text = config(database: Self.scratchDatabase(), extraNetwork: """
                crypto_pickle_key: "a-key-wait-test-key-0123456789abcdefghijk"
                room_key_wait_s: 1
            """)
        let bot = try startBot(text, log: log)
        defer { bot.cancel() }
        _ = try await waitFor("the keys to be published") { log.contains("encryption keys published") ? true : nil }
        let room = try await human.createRoom(inviting: [server.botUser], encrypted: true)
        _ = try await waitFor("the bot to join on invite") { try await human.membership(of: server.botUser, in: room) == "join" ? true : nil }
        // A Megolm session whose key the bot is never sent.
        let session = try MegolmOutboundSession.create()
        let clear: JSONValue = .object([
            "type": .string("m.room.message"), "room_id": .string(room),
            "content": .object(["msgtype": .string("m.text"), "body": .string("parleybot: can you read this?")]),
        ])
        func sendUnkeyed() async throws {
            _ = try await human.call("PUT", "/_matrix/client/v3/rooms/\(MatrixHuman.encode(room))/send/m.room.encrypted/\(UUID().uuidString)", .object([
                "algorithm": .string("m.megolm.v1.aes-sha2"), "sender_key": .string("c2VuZGVyIGtleSBub2JvZHkgc2hhcmVk"),
                "session_id": .string(try session.id()), "device_id": .string("NOKEYS"),
                "ciphertext": .string(try session.encrypt(clear.compactText)),
            ]))
        }
        func fromBot() async throws -> [JSONValue] {
            try await human.events(in: room, types: ["m.room.message", "m.room.encrypted"]).filter { $0["sender"]?.string == server.botUser }
        }
        func waits() -> Int { log.snapshot.filter { $0.contains("an encrypted message waits for its room key") }.count }
        try await sendUnkeyed()
        try await sendUnkeyed()
        let told = try await waitFor("the room to be told") { try await fromBot().isEmpty ? nil : try await fromBot() }
        #expect(log.contains("messages still wait for their room keys"))
        #expect(told.count == 1 && told[0]["type"]?.string == "m.room.encrypted", "once, and nothing in clear: \(told)")
        #expect(waits() == 2)
        // One more message that waits: the room was told already.
        try await sendUnkeyed()
        _ = try await waitFor("the third message to wait") { waits() == 3 ? true : nil }
        #expect(try await fromBot().count == 1)
    }

    /// Must show (issue 12, trust): a re-installed bot (new device, empty database, the same
    /// recovery key) reads a message whose room key went only to the device it replaced, with
    /// the key its first installation put in the server-side key backup.
    @Test func aReinstalledBotReadsWithTheKeyBackupWhatWasSentToTheDeviceItReplaced() async throws {
        let account = try await MatrixHuman.login(server.homeserver, user: server.botUser, password: server.botPassword)
        // The account's earlier backups (another run's recovery key) go: this test starts one.
        while let current = try? await account.call("GET", "/_matrix/client/v3/room_keys/version"), let version = current["version"]?.string {
            _ = try await account.call("DELETE", "/_matrix/client/v3/room_keys/version/\(version)")
        }
        let recoveryKey = RecoveryKey.random().text
        func bot(_ log: CapturedLog) throws -> Task<Void, any Error> {
            try startBot(config(database: Self.scratchDatabase(), extraNetwork: """
                    crypto_pickle_key: "a-key-backup-test-key-0123456789abcdefghij"
                    key_backup_recovery_key: "\(recoveryKey)"
                """), log: log)
        }
        let firstLog = CapturedLog()
        let first = try bot(firstLog)
        defer { first.cancel() }
        _ = try await waitFor("the backup to start") { firstLog.contains("key backup started") ? true : nil }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-e2e-\(UUID().uuidString)")
        let signals = folder.appendingPathComponent("signals")
        try FileManager.default.createDirectory(at: signals, withIntermediateDirectories: true)
        let person = try startEncryptedPerson(.object([
            "reinstall": .bool(true), "bot": .string(server.botUser), "timeout": .number(180), "signal_dir": .string(signals.path),
        ]), in: folder)
        _ = try await waitFor("the first answer", timeout: .seconds(120)) {
            FileManager.default.fileExists(atPath: signals.appendingPathComponent("answered").path) ? true : nil
        }
        let backedUp = try await waitFor("the room key in the backup") {
            let version = try await account.call("GET", "/_matrix/client/v3/room_keys/version")
            return (version["count"]?.number ?? 0) >= 1 ? version : nil
        }
        first.cancel()
        _ = await first.result

        let secondLog = CapturedLog()
        let second = try bot(secondLog)
        defer { second.cancel() }
        _ = try await waitFor("the new device's keys") { secondLog.contains("encryption keys published") ? true : nil }
        #expect(secondLog.contains("a new device: making its encryption keys"))
        #expect(secondLog.contains("key backup found"), "the same backup, not a new one")
        FileManager.default.createFile(atPath: signals.appendingPathComponent("reinstalled").path, contents: nil)
        let result = try await finishEncryptedPerson(person)
        #expect(result["same_session"] == .bool(true), "the second question went out in the first one's session: \(result)")
        #expect(result["replies"] == .array([
            .array([.string("You said: before the reinstall")]), .array([.string("You said: after the reinstall")]),
        ]), "\(result)")
        #expect(result["undecryptable"]?.array == [])
        #expect(secondLog.contains("a room key came from the key backup"))
        #expect(!secondLog.contains("refused"))
        let after = try await account.call("GET", "/_matrix/client/v3/room_keys/version")
        #expect(after["version"] == backedUp["version"])
        #expect(!firstLog.snapshot.contains { $0.contains(recoveryKey) } && !secondLog.snapshot.contains { $0.contains(recoveryKey) })
    }

    @Test func fillsAGapInALimitedTimelineFromMessages() async throws {
        let human = try await server.human()
        let log = CapturedLog()
        let database = Self.scratchDatabase()
        let text = config(database: database, extraNetwork: "    timeline_limit: 10")
        let first = try startBot(text, log: log)
        let room = try await roomWithBot(human)
        let warmUp = try await human.mention(server.botUser, "warm up", in: room)
        _ = try await reply(to: warmUp, in: room, by: human)
        first.cancel()
        _ = await first.result
        // Thirty questions while the bot is away: more than a sync's timeline of ten carries.
        var questions: [String] = []
        for index in 0..<30 {
            questions.append(try await human.mention(server.botUser, "while away \(index)", in: room))
        }
        let second = try startBot(text, log: log)
        defer { second.cancel() }
        _ = try await waitFor("all thirty answered", timeout: .seconds(120), every: .seconds(1)) {
            let replies = try await human.replies(from: server.botUser, in: room)
            return questions.allSatisfy { replies[$0] != nil } ? true : nil
        }
        #expect(log.contains("filled a gap in a room's timeline"))
        let replies = try await human.replies(from: server.botUser, in: room)
        #expect(questions.allSatisfy { replies[$0]?.count == 1 })
    }

    /// `parley run` in a process of its own (to be killed with SIGKILL), on the local engine and
    /// a config in a fresh folder; `start()` starts it, again after a kill.
    struct KillableBot {
        let folder: URL
        let arguments: [String]
        var output: String { folder.appendingPathComponent("parley.log").path }
        func start() throws -> ChildProcess { try ChildProcess.spawn(arguments, outputPath: output) }
    }

    func killableBot(_ name: String, extraNetwork: String = "") throws -> KillableBot {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-matrix-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let model = server.repository.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let configPath = folder.appendingPathComponent("parley.yaml").path
        try config(
            database: folder.appendingPathComponent("p.sqlite").path,
            backend: "{ type: local, model: \(model), context: 2048 }", extraNetwork: extraNetwork, extraDefaults: ", max_tokens: 24"
        ).write(toFile: configPath, atomically: true, encoding: .utf8)
        let parley = server.repository.appendingPathComponent(".build/debug/parley").path
        return KillableBot(folder: folder, arguments: [parley, "run", "--config", configPath])
    }

    /// Must show (issue 12): SIGKILL and a restart in an encrypted direct chat — the same device,
    /// the messages after it decrypted and answered, nothing answered twice.
    @Test func anEncryptingBotKilledWithSIGKILLKeepsItsDeviceAndAnswersEachMessageOnce() async throws {
        let bot = try killableBot("e2e-kill", extraNetwork: "    crypto_pickle_key: \"a-sigkill-test-key-0123456789abcdefghijklmn\"")
        let (folder, output) = (bot.folder, bot.output)
        var process = try bot.start()
        defer { process.send(SIGKILL); process.wait() }
        func logged(_ text: String) -> [String] {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { $0.contains(text) }
        }
        _ = try await waitFor("the keys to be published") { logged("encryption keys published").isEmpty ? nil : true }

        let signals = folder.appendingPathComponent("person")
        let person = try startEncryptedPerson(.object([
            "across_a_restart": .bool(true), "bot": .string(server.botUser), "timeout": .number(240),
            "person": .object(["user": .string(server.humanUser), "password": .string(server.humanPassword)]),
            "before": .number(6), "after": .number(3), "signal_dir": .string(signals.path),
        ]), in: signals)
        _ = try await waitFor("the person to ask for the kill", timeout: .seconds(180)) {
            FileManager.default.fileExists(atPath: signals.appendingPathComponent("kill").path) ? true : nil
        }
        process.send(SIGKILL)
        process.wait()
        process = try bot.start()
        _ = FileManager.default.createFile(atPath: signals.appendingPathComponent("restarted").path, contents: nil)
        let result = try await finishEncryptedPerson(person)

        let posts = result["posts"]?.array?.compactMap(\.number) ?? []
        #expect(posts.count == 10 && posts.allSatisfy { $0 == 1 }, "answers per question: \(result)")
        #expect(result["undecryptable"]?.array == [], "every answer decrypts on the person's client")
        #expect((result["answered_at_kill"]?.number ?? 6) < 6, "the kill came before everything was answered")
        let made = logged("a new device")
        let restored = logged("encryption keys restored")
        #expect(made.count == 1 && restored.count == 1, "keys made once, restored after the kill: \(made) \(restored)")
        let device = made.first?.firstMatch(of: /matrix.device=(\S+)/)?.1
        #expect(device != nil && restored.first?.contains("matrix.device=\(device ?? "")") == true, "the same device")
    }

    @Test func aBotKilledWithSIGKILLAndStartedAgainNeitherLosesNorDoublesAnAnswer() async throws {
        let human = try await server.human()
        let bot = try killableBot("kill")
        var process = try bot.start()
        defer { process.send(SIGKILL); process.wait() }

        let room = try await roomWithBot(human)
        var questions: [String] = []
        for index in 0..<10 {
            questions.append(try await human.mention(server.botUser, "question \(index) before the kill", in: room))
        }
        _ = try await waitFor("two answers before the kill") {
            let replies = try await human.replies(from: server.botUser, in: room)
            return questions.filter { replies[$0] != nil }.count >= 2 ? true : nil
        }
        process.send(SIGKILL)
        process.wait()
        let answeredAtKill = try await human.replies(from: server.botUser, in: room).count
        for index in 0..<5 {
            questions.append(try await human.mention(server.botUser, "question \(index) while it is down", in: room))
        }
        process = try bot.start()
        _ = try await waitFor("every question answered after the restart", timeout: .seconds(180)) {
            let replies = try await human.replies(from: server.botUser, in: room)
            return questions.allSatisfy { replies[$0] != nil } ? true : nil
        }
        // Answered in order: a replayed question answered twice would be before this answer.
        let barrier = try await human.mention(server.botUser, "last one", in: room)
        _ = try await waitFor("the answer to the last question") {
            try await human.replies(from: server.botUser, in: room)[barrier]
        }
        let replies = try await human.replies(from: server.botUser, in: room)
        let counts = questions.map { replies[$0]?.count ?? 0 }
        #expect(counts.allSatisfy { $0 == 1 }, "answers per question: \(counts)")
        #expect(answeredAtKill < 10, "the kill came before the bot had answered everything (it had answered \(answeredAtKill))")
    }
}
