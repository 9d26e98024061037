import ParleyCore
/// A `/sync` response, as much as Parley reads of it. Unknown fields are ignored; malformed
/// events are dropped and counted (`malformedEvents`) instead of failing the batch.
public struct SyncResponse: Sendable, Decodable {
    public var nextBatch: String
    public var joined: [MatrixRoomID: JoinedRoom]
    public var invited: [MatrixRoomID: [MatrixEvent]]
    public var left: [MatrixRoomID]
    /// The rooms each peer's direct chats with the bot are in (`m.direct` account data), when it changed.
    public var directRooms: [MatrixUserID: [MatrixRoomID]]?
    /// Events that could not be decoded and were skipped.
    public var malformedEvents: Int
    /// This device's unclaimed one-time keys on the server, by algorithm (when it says).
    public var oneTimeKeyCounts: [String: Int]?
    /// The algorithms of this device's fallback keys not yet used (when it says).
    public var unusedFallbackKeyTypes: [String]?
    /// Messages sent to this device alone (room keys, over Olm).
    var toDevice: [ToDeviceEvent] = []
    /// People whose devices changed, or who share no encrypted room with the bot any more.
    public var deviceListsChanged: [MatrixUserID] = []
    public var deviceListsLeft: [MatrixUserID] = []

    struct ToDeviceEvent: Sendable, Hashable, Decodable {
        var type: String
        var sender: MatrixUserID
        var content: JSONValue
    }

    public struct JoinedRoom: Sendable {
        public var timeline: [MatrixEvent]
        /// More happened than the timeline holds: the gap is to be fetched from `previousBatch`.
        public var limited: Bool
        public var previousBatch: String?
        public var state: [MatrixEvent]
        /// `summary.m.joined_member_count`, when the homeserver says it changed.
        public var joinedMemberCount: Int?
    }

    enum CodingKeys: String, CodingKey {
        case rooms
        case nextBatch = "next_batch"
        case accountData = "account_data"
        case oneTimeKeyCounts = "device_one_time_keys_count"
        case unusedFallbackKeyTypes = "device_unused_fallback_key_types"
        case toDevice = "to_device"
        case deviceLists = "device_lists"
    }

    private struct ToDeviceEvents: Decodable {
        var events: [Lenient<ToDeviceEvent>]?
    }

    private struct DeviceLists: Decodable {
        var changed: [String]?
        var left: [String]?
    }

    private struct AccountData: Decodable {
        var events: [Lenient<MatrixEvent>]?
    }

    private struct Rooms: Decodable {
        var join: [String: RawJoined]?
        var invite: [String: RawInvited]?
        var leave: [String: IgnoredValue]?
    }

    private struct RawJoined: Decodable {
        struct Timeline: Decodable {
            var events: [Lenient<MatrixEvent>]?
            var limited: Bool?
            var prevBatch: String?
            enum CodingKeys: String, CodingKey {
                case events, limited
                case prevBatch = "prev_batch"
            }
        }
        struct Events: Decodable { var events: [Lenient<MatrixEvent>]? }
        struct Summary: Decodable {
            var joined: Int?
            enum CodingKeys: String, CodingKey { case joined = "m.joined_member_count" }
        }
        var timeline: Timeline?
        var state: Events?
        var summary: Lenient<Summary>?
    }

    private struct RawInvited: Decodable {
        struct InviteState: Decodable { var events: [Lenient<MatrixEvent>]? }
        var inviteState: InviteState?
        enum CodingKeys: String, CodingKey { case inviteState = "invite_state" }
    }

    private struct IgnoredValue: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nextBatch = try container.decode(String.self, forKey: .nextBatch)
        let rooms = try? container.decodeIfPresent(Rooms.self, forKey: .rooms)
        var malformed = 0
        func keep(_ events: [Lenient<MatrixEvent>]?) -> [MatrixEvent] {
            let all = events ?? []
            let kept = all.compactMap(\.value)
            malformed += all.count - kept.count
            return kept
        }
        var joined: [MatrixRoomID: JoinedRoom] = [:]
        for (room, raw) in rooms?.join ?? [:] {
            joined[MatrixRoomID(room)] = JoinedRoom(
                timeline: keep(raw.timeline?.events), limited: raw.timeline?.limited ?? false,
                previousBatch: raw.timeline?.prevBatch, state: keep(raw.state?.events),
                joinedMemberCount: raw.summary?.value?.joined)
        }
        var invited: [MatrixRoomID: [MatrixEvent]] = [:]
        for (room, raw) in rooms?.invite ?? [:] { invited[MatrixRoomID(room)] = keep(raw.inviteState?.events) }
        self.joined = joined
        self.invited = invited
        left = (rooms?.leave ?? [:]).keys.map(MatrixRoomID.init)
        let accountData = (try? container.decodeIfPresent(AccountData.self, forKey: .accountData)) ?? nil
        let direct = keep(accountData?.events).last { $0.type == "m.direct" }
        if case .object(let peers)? = direct?.content {
            directRooms = Dictionary(peers.map { peer, rooms in
                (MatrixUserID(peer), rooms.array?.compactMap { $0.string.map(MatrixRoomID.init) } ?? [])
            }, uniquingKeysWith: { first, _ in first })
        }
        malformedEvents = malformed
        // Hostile or odd values are ignored, never fatal to the batch.
        oneTimeKeyCounts = (try? container.decodeIfPresent([String: Int].self, forKey: .oneTimeKeyCounts)) ?? nil
        unusedFallbackKeyTypes = (try? container.decodeIfPresent([String].self, forKey: .unusedFallbackKeyTypes)) ?? nil
        let toDeviceEvents = ((try? container.decodeIfPresent(ToDeviceEvents.self, forKey: .toDevice)) ?? nil)?.events ?? []
        toDevice = toDeviceEvents.compactMap(\.value)
        malformedEvents += toDeviceEvents.count - toDevice.count
        let lists = (try? container.decodeIfPresent(DeviceLists.self, forKey: .deviceLists)) ?? nil
        deviceListsChanged = (lists?.changed ?? []).map(MatrixUserID.init).filter(\.isValid)
        deviceListsLeft = (lists?.left ?? []).map(MatrixUserID.init).filter(\.isValid)
    }
}
