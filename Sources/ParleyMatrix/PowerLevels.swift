import ParleyCore
/// A room's `m.room.power_levels`, as far as Parley asks it: who may do what. Missing or
/// malformed fields take the specification's defaults.
struct PowerLevels: Sendable, Hashable {
    var users: [MatrixUserID: Int] = [:]
    var usersDefault = 0
    var kick = 50
    var ban = 50
    var redact = 50

    init() {}

    init(_ content: JSONValue) {
        func level(_ value: JSONValue?) -> Int? {
            switch value {
            case .number(let number)? where number.isFinite && abs(number) < 1e15: Int(number)
            case .string(let text)?: Int(text)
            default: nil
            }
        }
        if case .object(let users)? = content["users"] {
            for (user, value) in users { if let level = level(value) { self.users[MatrixUserID(user)] = level } }
        }
        usersDefault = level(content["users_default"]) ?? 0
        kick = level(content["kick"]) ?? 50
        ban = level(content["ban"]) ?? 50
        redact = level(content["redact"]) ?? 50
    }

    func level(of user: MatrixUserID) -> Int { users[user] ?? usersDefault }
}
