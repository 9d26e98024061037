import ParleyCore

/// The keys a device publishes (`/keys/upload`) and checks on others (`/keys/query`,
/// `/keys/claim`): signed JSON objects whose signatures cover their canonical JSON without
/// `signatures` and `unsigned`.
enum DeviceKeys {
    static let algorithms = ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"]

    /// The body of a `/keys/upload`: the device keys when `includeDeviceKeys` (the first upload),
    /// and every one-time and fallback key the account has not published, each signed.
    static func upload(
        from account: OlmAccount, user: MatrixUserID, device: String, includeDeviceKeys: Bool
    ) throws -> JSONValue {
        var body: [String: JSONValue] = [:]
        if includeDeviceKeys {
            let identity = try account.identityKeys()
            body["device_keys"] = try signed(.object([
                "user_id": .string(user.rawValue),
                "device_id": .string(device),
                "algorithms": .array(algorithms.map(JSONValue.string)),
                "keys": .object([
                    "curve25519:\(device)": .string(identity.curve25519),
                    "ed25519:\(device)": .string(identity.ed25519),
                ]),
            ]), by: account, user: user, device: device)
        }
        let oneTimeKeys = try account.oneTimeKeys()
        if !oneTimeKeys.isEmpty {
            var keys: [String: JSONValue] = [:]
            for (id, key) in oneTimeKeys {
                keys["signed_curve25519:\(id)"] = try signed(.object(["key": .string(key)]), by: account, user: user, device: device)
            }
            body["one_time_keys"] = .object(keys)
        }
        let fallback = try account.unpublishedFallbackKey()
        if !fallback.isEmpty {
            var keys: [String: JSONValue] = [:]
            for (id, key) in fallback {
                keys["signed_curve25519:\(id)"] = try signed(
                    .object(["key": .string(key), "fallback": .bool(true)]), by: account, user: user, device: device)
            }
            body["fallback_keys"] = .object(keys)
        }
        return .object(body)
    }

    /// `object` with the device's signature added under `signatures`.
    static func signed(_ object: JSONValue, by account: OlmAccount, user: MatrixUserID, device: String) throws -> JSONValue {
        guard case .object(var members) = object else { return object }
        let signature = try account.sign(try CanonicalJSON.text(unsigned(object)))
        // Signatures already there (another key's, another user's) stay.
        var everyone: [String: JSONValue] = [:]
        if case .object(let existing)? = members["signatures"] { everyone = existing }
        var ours: [String: JSONValue] = [:]
        if case .object(let existing)? = everyone[user.rawValue] { ours = existing }
        ours["ed25519:\(device)"] = .string(signature)
        everyone[user.rawValue] = .object(ours)
        members["signatures"] = .object(everyone)
        return .object(members)
    }

    /// Whether `object` carries a valid signature of `user`'s key `ed25519:<device>`, which is
    /// `key`. Anything missing or malformed is not valid.
    static func isSigned(_ object: JSONValue, by user: MatrixUserID, device: String, key: String) -> Bool {
        guard let signature = object["signatures"]?[user.rawValue]?["ed25519:\(device)"]?.string,
              let text = try? CanonicalJSON.text(unsigned(object))
        else { return false }
        return Ed25519.verify(signature: signature, of: text, by: key)
    }

    /// What a signature covers: the object without `signatures` and `unsigned`.
    private static func unsigned(_ object: JSONValue) -> JSONValue {
        guard case .object(var members) = object else { return object }
        members["signatures"] = nil
        members["unsigned"] = nil
        return .object(members)
    }
}
