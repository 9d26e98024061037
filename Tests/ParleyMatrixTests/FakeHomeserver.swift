import Foundation
import ParleyTesting
@testable import ParleyMatrix
import ParleyCore
import ParleyHTTP

/// A homeserver in memory for the connector's unit tests: syncs come from a queue the test
/// fills; everything the connector sends is recorded. The real Synapse is for the integration
/// tests; this is for orderings and faults a real one cannot be made to produce on demand.
final class FakeHomeserver: MatrixTransport {
    struct State {
        var syncs: [String] = []
        var requests: [MatrixHTTPRequest] = []
        var sentEvents = 0
        var messagesPages: [String] = []
        var powerLevels = "{}"
        /// Sends whose body holds this text wait at the gate (an acknowledgement that is slow).
        var held: (text: String, gate: Gate)?
        /// The bodies of the sends acknowledged, in the order they were.
        var acknowledged: [String] = []
    }

    let state = Locked(State())
    private let syncQueued = WaitList()
    let user: MatrixUserID

    init(user: MatrixUserID = "@bot:x") {
        self.user = user
    }

    /// Queues a sync response (its JSON).
    func enqueueSync(_ json: String) {
        state.withLock { $0.syncs.append(json) }
        syncQueued.releaseAll()
    }

    func enqueueMessagesPage(_ json: String) {
        state.withLock { $0.messagesPages.append(json) }
    }

    var requests: [MatrixHTTPRequest] { state.withLock { $0.requests } }

    /// Holds every send whose body contains `text` until the returned gate opens.
    func hold(sendsContaining text: String) -> Gate {
        let gate = Gate()
        state.withLock { $0.held = (text, gate) }
        return gate
    }

    var acknowledged: [String] { state.withLock { $0.acknowledged } }

    func requests(containing fragment: String) -> [MatrixHTTPRequest] {
        requests.filter { $0.path.contains(fragment) }
    }

    /// The bodies of the events the connector sent, as JSON.
    var sentContents: [(path: String, content: JSONValue)] {
        requests(containing: "/send/").map { ($0.path, (try? JSONDecoder().decode(JSONValue.self, from: $0.body ?? Data())) ?? .null) }
    }

    func perform(_ request: MatrixHTTPRequest, accessToken: Secret?) async throws -> HTTPResponse {
        state.withLock { $0.requests.append(request) }
        let path = request.path
        func ok(_ json: String) -> HTTPResponse { HTTPResponse(status: 200, body: Data(json.utf8)) }
        if path.hasSuffix("/login") { return ok(#"{"user_id":"\#(user)","access_token":"tok","device_id":"DEV"}"#) }
        if path.hasSuffix("/account/whoami") { return ok(#"{"user_id":"\#(user)"}"#) }
        if path.contains("/profile/") { return ok(#"{"displayname":"Bot"}"#) }
        if path.hasSuffix("/sync") {
            // A long poll: held until the test queues the next response.
            while true {
                let generation = syncQueued.generation
                if let next = state.withLock({ $0.syncs.isEmpty ? nil : $0.syncs.removeFirst() }) { return ok(next) }
                await syncQueued.wait(since: generation)
                try Task.checkCancellation()
            }
        }
        if path.contains("/send/") || path.contains("/redact/") {
            let body = String(decoding: request.body ?? Data(), as: UTF8.self)
            if let held = state.withLock({ $0.held }), body.contains(held.text) { await held.gate.wait() }
            let number = state.withLock { state in
                state.sentEvents += 1
                state.acknowledged.append(body)
                return state.sentEvents
            }
            return ok(#"{"event_id":"$sent\#(number)"}"#)
        }
        if path.hasSuffix("/messages") {
            return ok(state.withLock { $0.messagesPages.isEmpty ? #"{"chunk":[]}"# : $0.messagesPages.removeFirst() })
        }
        if path.contains("/state/m.room.power_levels") { return ok(state.withLock { $0.powerLevels }) }
        if path.contains("/join/") { return ok(#"{"room_id":"!joined"}"#) }
        return ok("{}")
    }
}

/// A `MatrixStateStore` in memory, shared between connector instances to stand for a restart.
final class InMemoryMatrixState: MatrixStateStore {
    let saved = Locked(MatrixSavedState())
    let commits = Locked<[(since: String, admitted: [MatrixEventID])]>([])

    func load(account: String) async throws -> MatrixSavedState { saved.withLock { $0 } }

    func commit(account: String, since: String, admitted: [MatrixSavedState.Pending]) async throws {
        saved.withLock { state in
            state.since = since
            state.pending += admitted.filter { item in !state.pending.contains { $0.eventID == item.eventID } }
        }
        commits.withLock { $0.append((since, admitted.map(\.eventID))) }
    }

    func settle(account: String, eventIDs: [MatrixEventID]) async throws {
        saved.withLock { state in
            state.pending.removeAll { eventIDs.contains($0.eventID) }
            state.handled += eventIDs
        }
    }

    func saveCredentials(account: String, _ credentials: MatrixCredentials?) async throws {
        saved.withLock { $0.credentials = credentials }
    }

    func markRoom(account: String, room: MatrixRoomID, _ flag: MatrixSavedState.RoomFlag) async throws {
        _ = saved.withLock { $0.roomFlags[room, default: []].insert(flag) }
    }
}
