import ParleyCore
/// The `/sync` filter Parley asks for: only the event types it reads, members lazy-loaded, and
/// a large timeline so that gaps are rare (they are filled from `/messages` when they happen).
enum SyncFilter {
    static let timelineTypes = ["m.room.message", "m.room.encrypted", "m.room.member", "m.room.encryption", "m.room.redaction"]
    static let stateTypes = ["m.room.member", "m.room.encryption", "m.room.power_levels", "m.room.canonical_alias"]

    /// The filter as the JSON text `/sync` takes inline.
    static func json(timelineLimit: Int) -> String {
        let filter: JSONValue = .object([
            "presence": .object(["not_types": .array([.string("*")])]),
            "account_data": .object(["types": .array([.string("m.direct")])]),
            "room": .object([
                "timeline": .object([
                    "limit": .number(Double(timelineLimit)),
                    "types": .array(timelineTypes.map(JSONValue.string)),
                    "lazy_load_members": .bool(true),
                ]),
                "state": .object([
                    "types": .array(stateTypes.map(JSONValue.string)),
                    "lazy_load_members": .bool(true),
                ]),
                "ephemeral": .object(["not_types": .array([.string("*")])]),
                "account_data": .object(["not_types": .array([.string("*")])]),
            ]),
        ])
        return filter.compactText
    }

    /// The filter for `/messages` when filling a gap: the timeline's types, members lazy-loaded.
    static func messagesJSON() -> String {
        JSONValue.object([
            "types": .array(timelineTypes.map(JSONValue.string)),
            "lazy_load_members": .bool(true),
        ]).compactText
    }
}
