import ParleyCore

/// The devices of the people the bot shares rooms with, as `/keys/query` reported them and only
/// where each device's keys carry its own valid signature: a room key is taken only from a
/// device listed here, and (later) shared only with these.
struct KnownDevices: Sendable, Hashable {
    struct Device: Sendable, Hashable {
        var user: MatrixUserID
        var id: String
        var curve25519: String
        var ed25519: String
    }

    private var byUser: [MatrixUserID: [String: Device]] = [:]

    /// Replaces `user`'s devices with those in `deviceKeys` (the `device_keys.<user>` object of a
    /// `/keys/query` answer) that are well formed and self-signed; returns the device ids refused.
    @discardableResult
    mutating func update(_ user: MatrixUserID, from deviceKeys: JSONValue) -> [String] {
        guard case .object(let entries) = deviceKeys else {
            byUser[user] = [:]
            return []
        }
        var devices: [String: Device] = [:]
        var refused: [String] = []
        for (id, keys) in entries {
            guard keys["user_id"]?.string == user.rawValue, keys["device_id"]?.string == id,
                  let curve25519 = keys["keys"]?["curve25519:\(id)"]?.string,
                  let ed25519 = keys["keys"]?["ed25519:\(id)"]?.string,
                  DeviceKeys.isSigned(keys, by: user, device: id, key: ed25519)
            else {
                refused.append(id)
                continue
            }
            // A device id whose keys changed is a different device: the old ones are not trusted.
            devices[id] = Device(user: user, id: id, curve25519: curve25519, ed25519: ed25519)
        }
        byUser[user] = devices
        return refused.sorted()
    }

    /// `user` left every room shared with the bot (`device_lists.left`).
    mutating func forget(_ user: MatrixUserID) {
        byUser[user] = nil
    }

    func devices(of user: MatrixUserID) -> [Device] {
        byUser[user].map { Array($0.values) } ?? []
    }

    /// The device of `user` whose Curve25519 key is `curve25519`.
    func device(of user: MatrixUserID, curve25519: String) -> Device? {
        byUser[user]?.values.first { $0.curve25519 == curve25519 }
    }

    /// The device, of anyone known, whose Curve25519 key is `curve25519`.
    func device(curve25519: String) -> Device? {
        for devices in byUser.values {
            if let device = devices.values.first(where: { $0.curve25519 == curve25519 }) { return device }
        }
        return nil
    }
}
