@testable import ParleyMatrix
import ParleyCore
import Testing

@Suite struct DeviceKeysTests {
    static let user: MatrixUserID = "@parley:example.org"

    @Test func theFirstUploadCarriesSignedDeviceKeysAndEveryUnpublishedKeySigned() throws {
        let account = try OlmAccount.create()
        try account.generateOneTimeKeys(4)
        try account.generateFallbackKey()
        let body = try DeviceKeys.upload(from: account, user: Self.user, device: "PARLEYDEV", includeDeviceKeys: true)
        let ed25519 = try account.identityKeys().ed25519

        let device = try #require(body["device_keys"])
        #expect(device["keys"]?["ed25519:PARLEYDEV"]?.string == ed25519)
        #expect(device["keys"]?["curve25519:PARLEYDEV"]?.string == (try account.identityKeys().curve25519))
        #expect(DeviceKeys.isSigned(device, by: Self.user, device: "PARLEYDEV", key: ed25519))

        guard case .object(let oneTimeKeys) = body["one_time_keys"] else { Issue.record("no one-time keys"); return }
        #expect(oneTimeKeys.count == 4 && oneTimeKeys.keys.allSatisfy { $0.hasPrefix("signed_curve25519:") })
        #expect(oneTimeKeys.values.allSatisfy { DeviceKeys.isSigned($0, by: Self.user, device: "PARLEYDEV", key: ed25519) })
        guard case .object(let fallback) = body["fallback_keys"] else { Issue.record("no fallback key"); return }
        #expect(fallback.values.allSatisfy { $0["fallback"] == .bool(true) && DeviceKeys.isSigned($0, by: Self.user, device: "PARLEYDEV", key: ed25519) })

        account.markKeysAsPublished()
        let next = try DeviceKeys.upload(from: account, user: Self.user, device: "PARLEYDEV", includeDeviceKeys: false)
        #expect(next == .object([:]), "nothing is published twice")
    }

    @Test func aSignatureHoldsForItsObjectAndKeyOnly() throws {
        let account = try OlmAccount.create()
        let ed25519 = try account.identityKeys().ed25519
        let object: JSONValue = .object(["key": .string("abc"), "unsigned": .object(["note": .string("not covered")])])
        let signed = try DeviceKeys.signed(object, by: account, user: Self.user, device: "D")
        #expect(DeviceKeys.isSigned(signed, by: Self.user, device: "D", key: ed25519))

        guard case .object(var members) = signed else { return }
        members["unsigned"] = .object(["note": .string("changed: still valid, unsigned is not covered")])
        #expect(DeviceKeys.isSigned(.object(members), by: Self.user, device: "D", key: ed25519))
        members["key"] = .string("abd")
        #expect(!DeviceKeys.isSigned(.object(members), by: Self.user, device: "D", key: ed25519))
        #expect(!DeviceKeys.isSigned(signed, by: "@mallory:example.org", device: "D", key: ed25519))
        #expect(!DeviceKeys.isSigned(signed, by: Self.user, device: "OTHER", key: ed25519))
        #expect(!DeviceKeys.isSigned(signed, by: Self.user, device: "D", key: try OlmAccount.create().identityKeys().ed25519))
        #expect(!DeviceKeys.isSigned(.string("not an object"), by: Self.user, device: "D", key: ed25519))
    }
}
