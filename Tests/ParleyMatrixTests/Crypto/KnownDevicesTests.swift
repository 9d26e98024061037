@testable import ParleyMatrix
import ParleyCore
import Testing

@Suite struct KnownDevicesTests {
    static let alice: MatrixUserID = "@alice:example.org"

    func deviceKeys(_ account: OlmAccount, user: MatrixUserID = alice, id: String) throws -> JSONValue {
        try #require(try DeviceKeys.upload(from: account, user: user, device: id, includeDeviceKeys: true)["device_keys"])
    }

    @Test func onlySelfSignedDevicesOfTheRightUserAndIdAreKnown() throws {
        let phone = try OlmAccount.create()
        let laptop = try OlmAccount.create()
        var forged = try deviceKeys(laptop, id: "LAPTOP")
        if case .object(var members) = forged {
            members["keys"] = .object(["curve25519:LAPTOP": .string(try phone.identityKeys().curve25519),
                                       "ed25519:LAPTOP": .string(try laptop.identityKeys().ed25519)])
            forged = .object(members)
        }
        var devices = KnownDevices()
        let refused = devices.update(Self.alice, from: .object([
            "PHONE": try deviceKeys(phone, id: "PHONE"),
            "LAPTOP": forged,
            "RENAMED": try deviceKeys(laptop, id: "OTHER"),
            "MALLORY": try deviceKeys(laptop, user: "@mallory:example.org", id: "MALLORY"),
            "JUNK": .string("not keys"),
        ]))
        #expect(refused == ["JUNK", "LAPTOP", "MALLORY", "RENAMED"])
        #expect(devices.devices(of: Self.alice).map(\.id) == ["PHONE"])
        #expect(devices.device(of: Self.alice, curve25519: try phone.identityKeys().curve25519)?.ed25519 == (try phone.identityKeys().ed25519))
        devices.forget(Self.alice)
        #expect(devices.devices(of: Self.alice).isEmpty)
    }
}
