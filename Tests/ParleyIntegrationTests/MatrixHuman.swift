import ParleyCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ParleyMatrix
import ParleyTesting

/// A person's Matrix client for the tests, written apart from the connector's client so that
/// the two cannot share a mistake: plain HTTP calls on the client-server API.
struct MatrixHuman: Sendable {
    let homeserver: URL
    let user: String
    let token: String
    /// The device this login made (its token dies with it).
    var deviceID: String?

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func login(_ homeserver: URL, user: String, password: String) async throws -> MatrixHuman {
        let body: JSONValue = .object([
            "type": .string("m.login.password"),
            "identifier": .object(["type": .string("m.id.user"), "user": .string(user)]),
            "password": .string(password),
        ])
        let answer = try await request(homeserver, "POST", "/_matrix/client/v3/login", token: nil, body: body)
        guard let token = answer["access_token"]?.string else { throw Failure(description: "login gave no token: \(answer)") }
        return MatrixHuman(homeserver: homeserver, user: user, token: token, deviceID: answer["device_id"]?.string)
    }

    static func request(
        _ homeserver: URL, _ method: String, _ path: String, query: [String: String] = [:], token: String?, body: JSONValue?
    ) async throws -> JSONValue {
        var components = URLComponents(url: homeserver.appendingPathComponent(""), resolvingAgainstBaseURL: false)!
        components.percentEncodedPath = path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.key, value: $0.value) } }
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONEncoder().encode(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for attempt in 1...20 {
            let (data, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            let json = (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null
            if status == 429, attempt < 20 {
                // Even with raised limits, a homeserver may ask a busy client to wait.
                let wait = json["retry_after_ms"].flatMap { if case .number(let ms) = $0 { Int(min(ms, 30_000)) } else { nil } } ?? 200
                try await Task.sleep(for: .milliseconds(wait))
                continue
            }
            guard (200..<300).contains(status) else {
                throw Failure(description: "\(method) \(path): HTTP \(status) \(String(decoding: data, as: UTF8.self))")
            }
            return json
        }
        throw Failure(description: "\(method) \(path): rate-limited")
    }

    func call(_ method: String, _ path: String, query: [String: String] = [:], _ body: JSONValue? = nil) async throws -> JSONValue {
        try await Self.request(homeserver, method, path, query: query, token: token, body: body)
    }

    static func encode(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? segment
    }

    /// A new room (private unless `alias` makes it public), with `invite` invited.
    func createRoom(inviting invite: [String], direct: Bool = false, encrypted: Bool = false, alias: String? = nil) async throws -> String {
        var request: [String: JSONValue] = [
            "preset": .string(alias == nil ? "private_chat" : "public_chat"),
            "invite": .array(invite.map(JSONValue.string)),
            "is_direct": .bool(direct),
        ]
        if let alias { request["room_alias_name"] = .string(alias) }
        if encrypted {
            request["initial_state"] = .array([.object([
                "type": .string("m.room.encryption"), "state_key": .string(""),
                "content": .object(["algorithm": .string("m.megolm.v1.aes-sha2")]),
            ])])
        }
        let answer = try await call("POST", "/_matrix/client/v3/createRoom", .object(request))
        guard let room = answer["room_id"]?.string else { throw Failure(description: "no room id: \(answer)") }
        return room
    }

    func join(_ room: String) async throws {
        _ = try await call("POST", "/_matrix/client/v3/join/\(Self.encode(room))", .object([:]))
    }

    func leave(_ room: String) async throws {
        _ = try await call("POST", "/_matrix/client/v3/rooms/\(Self.encode(room))/leave", .object([:]))
    }

    /// Gives `user` power `level` in `room`, keeping everyone else's.
    func setPower(_ level: Int, for user: String, in room: String) async throws {
        let path = "/_matrix/client/v3/rooms/\(Self.encode(room))/state/m.room.power_levels/"
        guard case .object(var levels) = try await call("GET", path), case .object(var users)? = levels["users"] else {
            throw Failure(description: "no power levels in \(room)")
        }
        users[user] = .number(Double(level))
        levels["users"] = .object(users)
        _ = try await call("PUT", path, .object(levels))
    }

    func event(_ id: String, in room: String) async throws -> JSONValue {
        try await call("GET", "/_matrix/client/v3/rooms/\(Self.encode(room))/event/\(Self.encode(id))")
    }

    /// Sends a message; returns its event id.
    @discardableResult
    func send(_ content: JSONValue, to room: String) async throws -> String {
        let txn = UUID().uuidString
        let answer = try await call(
            "PUT", "/_matrix/client/v3/rooms/\(Self.encode(room))/send/m.room.message/\(txn)", content)
        guard let id = answer["event_id"]?.string else { throw Failure(description: "no event id: \(answer)") }
        return id
    }

    @discardableResult
    func say(_ text: String, in room: String) async throws -> String {
        try await send(.object(["msgtype": .string("m.text"), "body": .string(text)]), to: room)
    }

    /// A text message that mentions `bot` as clients do: the name in the body, the id in `m.mentions`.
    @discardableResult
    func mention(_ bot: String, _ text: String, in room: String, thread: String? = nil) async throws -> String {
        var content: [String: JSONValue] = [
            "msgtype": .string("m.text"),
            "body": .string("\(MatrixHuman.localpart(bot)): \(text)"),
            "m.mentions": .object(["user_ids": .array([.string(bot)])]),
        ]
        if let thread {
            content["m.relates_to"] = .object(["rel_type": .string("m.thread"), "event_id": .string(thread), "is_falling_back": .bool(true)])
        }
        return try await send(.object(content), to: room)
    }

    /// Removes one of the room's events (one's own, or another's with the power to).
    func redact(_ event: String, in room: String) async throws {
        _ = try await call(
            "PUT", "/_matrix/client/v3/rooms/\(Self.encode(room))/redact/\(Self.encode(event))/\(UUID().uuidString)",
            .object(["reason": .string("test")]))
    }

    /// Edits one's own message as Element does: `* new` as the fallback body, the new content in
    /// `m.new_content`.
    @discardableResult
    func edit(_ event: String, to text: String, in room: String) async throws -> String {
        try await send(.object([
            "msgtype": .string("m.text"),
            "body": .string("* \(text)"),
            "m.new_content": .object(["msgtype": .string("m.text"), "body": .string(text)]),
            "m.relates_to": .object(["rel_type": .string("m.replace"), "event_id": .string(event)]),
        ]), to: room)
    }

    static func localpart(_ user: String) -> String {
        String(user.dropFirst().prefix { $0 != ":" })
    }

    /// `user`'s membership in `room` (`join`, `invite`, `leave`…), or nil if there is none.
    func membership(of user: String, in room: String) async throws -> String? {
        do {
            let state = try await call("GET", "/_matrix/client/v3/rooms/\(Self.encode(room))/state/m.room.member/\(Self.encode(user))")
            return state["membership"]?.string
        } catch let failure as Failure where failure.description.contains("HTTP 404") {
            return nil
        }
    }

    /// Every message event in `room`, oldest first.
    func messages(in room: String) async throws -> [JSONValue] {
        try await events(in: room, types: ["m.room.message"])
    }

    /// The room's events of `types`, oldest first.
    func events(in room: String, types: [String]) async throws -> [JSONValue] {
        var events: [JSONValue] = []
        var from: String?
        repeat {
            var query = ["dir": "b", "limit": "1000", "filter": JSONValue.object(["types": .array(types.map(JSONValue.string))]).compactText]
            if let from { query["from"] = from }
            let page = try await call("GET", "/_matrix/client/v3/rooms/\(Self.encode(room))/messages", query: query)
            let chunk = page["chunk"]?.array ?? []
            events += chunk
            from = chunk.isEmpty ? nil : page["end"]?.string
        } while from != nil
        return events.reversed()
    }

    /// The bot's replies in `room` (new events, not edits), by the question they answer.
    func replies(from bot: String, in room: String) async throws -> [String: [JSONValue]] {
        var byQuestion: [String: [JSONValue]] = [:]
        for event in try await messages(in: room) where event["sender"]?.string == bot {
            let relation = event["content"]?["m.relates_to"]
            guard relation?["rel_type"]?.string != "m.replace",
                  let question = relation?["m.in_reply_to"]?["event_id"]?.string else { continue }
            byQuestion[question, default: []].append(event)
        }
        return byQuestion
    }

    /// The edits of `event`, oldest first.
    func edits(of event: String, in room: String) async throws -> [JSONValue] {
        try await messages(in: room).filter {
            $0["content"]?["m.relates_to"]?["rel_type"]?.string == "m.replace"
                && $0["content"]?["m.relates_to"]?["event_id"]?.string == event
        }
    }

    /// The content a reply shows now: its latest edit's new content, or its own.
    func currentContent(of reply: JSONValue, in room: String) async throws -> JSONValue? {
        guard let id = reply["event_id"]?.string else { return nil }
        return try await edits(of: id, in: room).last?["content"]?["m.new_content"] ?? reply["content"]
    }

    /// The events `user` has marked read in `room` (their `m.read` receipts, as an initial sync
    /// of that room reports them). Each call's filter is new: Synapse answers a repeated sync
    /// request from its cache for a while.
    func readReceipts(of user: String, in room: String) async throws -> Set<String> {
        let fresh = UUID().uuidString
        let filter = #"{"room":{"rooms":["\#(room)"],"timeline":{"limit":1},"state":{"types":[]},"ephemeral":{"types":["m.receipt"],"not_types":["x.poll.\#(fresh)"]}},"presence":{"types":[]},"account_data":{"types":[]}}"#
        let sync = try await call("GET", "/_matrix/client/v3/sync", query: ["filter": filter, "timeout": "0"])
        var events: Set<String> = []
        for receipt in sync["rooms"]?["join"]?[room]?["ephemeral"]?["events"]?.array ?? [] where receipt["type"]?.string == "m.receipt" {
            guard case .object(let byEvent)? = receipt["content"] else { continue }
            for (event, kinds) in byEvent where kinds["m.read"]?[user] != nil { events.insert(event) }
        }
        return events
    }
}
