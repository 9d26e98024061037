public import ParleyCore

/// One room event from the client-server API, with the fields Parley uses; the content is kept
/// whole. Events without the fields every event has (type, sender) do not decode and are skipped
/// by `Lenient`.
public struct MatrixEvent: Sendable, Hashable, Codable {
    public var type: String
    /// Absent on stripped invite-state events.
    public var eventID: MatrixEventID?
    public var sender: MatrixUserID
    public var originServerTS: Int64?
    public var stateKey: String?
    public var content: JSONValue
    /// The transaction id of an event the bot itself sent (`unsigned.transaction_id`).
    public var transactionID: String?
    /// For a redaction, the event it removes: top-level before room version 11, in the content since.
    public var redacts: MatrixEventID?

    enum CodingKeys: String, CodingKey {
        case type, sender, content, unsigned, redacts
        case eventID = "event_id"
        case originServerTS = "origin_server_ts"
        case stateKey = "state_key"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        sender = try container.decode(MatrixUserID.self, forKey: .sender)
        eventID = try container.decodeIfPresent(MatrixEventID.self, forKey: .eventID)
        originServerTS = try? container.decodeIfPresent(Int64.self, forKey: .originServerTS)
        stateKey = try? container.decodeIfPresent(String.self, forKey: .stateKey)
        content = (try? container.decodeIfPresent(JSONValue.self, forKey: .content)) ?? .object([:])
        let unsigned = (try? container.decodeIfPresent(JSONValue.self, forKey: .unsigned)) ?? nil
        transactionID = unsigned?["transaction_id"]?.string
        redacts = (try? container.decodeIfPresent(MatrixEventID.self, forKey: .redacts))
            ?? content["redacts"]?.string.map(MatrixEventID.init)
    }

    public init(
        type: String, eventID: MatrixEventID?, sender: MatrixUserID, originServerTS: Int64? = nil, stateKey: String? = nil,
        content: JSONValue, transactionID: String? = nil
    ) {
        self.type = type
        self.eventID = eventID
        self.sender = sender
        self.originServerTS = originServerTS
        self.stateKey = stateKey
        self.content = content
        self.transactionID = transactionID
    }

    /// Encodes the fields Parley reads, in the specification's shape (to keep a pending event).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(sender, forKey: .sender)
        try container.encodeIfPresent(eventID, forKey: .eventID)
        try container.encodeIfPresent(originServerTS, forKey: .originServerTS)
        try container.encodeIfPresent(stateKey, forKey: .stateKey)
        try container.encode(content, forKey: .content)
        try container.encodeIfPresent(redacts, forKey: .redacts)
        if let transactionID {
            try container.encode(JSONValue.object(["transaction_id": .string(transactionID)]), forKey: .unsigned)
        }
    }

    // MARK: m.room.message

    /// `msgtype` of an `m.room.message` (`m.text`, `m.notice`…).
    public var messageType: String? { type == "m.room.message" ? content["msgtype"]?.string : nil }
    public var body: String? { content["body"]?.string }
    /// The thread root, for a message inside a thread (`m.relates_to` with `rel_type: m.thread`).
    public var threadRoot: MatrixEventID? {
        guard content["m.relates_to"]?["rel_type"]?.string == "m.thread" else { return nil }
        return content["m.relates_to"]?["event_id"]?.string.map(MatrixEventID.init)
    }
    /// The event this one replies to (`m.in_reply_to`).
    public var inReplyTo: MatrixEventID? {
        content["m.relates_to"]?["m.in_reply_to"]?["event_id"]?.string.map(MatrixEventID.init)
    }
    /// Whether this edits another event (`m.replace`): edits are not new questions.
    public var isEdit: Bool { content["m.relates_to"]?["rel_type"]?.string == "m.replace" }
    /// The users `m.mentions` names.
    public var mentionedUsers: [MatrixUserID] {
        content["m.mentions"]?["user_ids"]?.array?.compactMap { $0.string.map(MatrixUserID.init) } ?? []
    }
}

/// Decodes an element of a list, or nothing when it is malformed, so that one bad event never
/// fails the batch it came in.
struct Lenient<Value: Decodable & Sendable>: Decodable, Sendable {
    let value: Value?

    init(from decoder: any Decoder) throws {
        value = try? Value(from: decoder)
    }
}
