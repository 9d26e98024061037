import Foundation
import Logging
import ParleyCore
import ParleyHTTP
@testable import ParleyMatrix
import ParleyTesting
import Testing

/// End-to-end encryption against the real Synapse, step by step as issue 12 lands. Here: the
/// bot's keys as Parley publishes them are what another client finds, checks and uses.
@Suite struct MatrixEncryptionTests {
    let server: MatrixTestServer

    init() throws {
        server = try MatrixTestServer.load()
    }

    @Test func anotherClientFindsTheBotsSignedKeysClaimsOneAndOpensAnOlmSessionTheBotReads() async throws {
        // A device of the bot's own, so the running bots of other suites are not touched.
        let login = try await MatrixHuman.login(server.homeserver, user: server.botUser, password: server.botPassword)
        let device = try #require(login.deviceID)
        var client = MatrixClient(
            transport: HomeserverTransport(homeserver: server.homeserver, http: CurlHTTPClient()),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        client.accessToken = Secret(login.token)
        let bot = MatrixUserID(server.botUser)

        let account = try OlmAccount.create()
        try account.generateOneTimeKeys(5)
        try account.generateFallbackKey()
        let counts = try await client.uploadKeys(try DeviceKeys.upload(from: account, user: bot, device: device, includeDeviceKeys: true))
        account.markKeysAsPublished()
        #expect(counts.oneTimeKeyCounts["signed_curve25519"] == 5)

        // The human's client: query the bot's device, check its signature, claim a key.
        let human = try await server.human()
        let queried = try await human.call("POST", "/_matrix/client/v3/keys/query", .object([
            "device_keys": .object([server.botUser: .array([.string(device)])]),
        ]))
        let deviceKeys = try #require(queried["device_keys"]?[server.botUser]?[device])
        let ed25519 = try #require(deviceKeys["keys"]?["ed25519:\(device)"]?.string)
        let curve25519 = try #require(deviceKeys["keys"]?["curve25519:\(device)"]?.string)
        #expect(ed25519 == (try account.identityKeys().ed25519))
        #expect(DeviceKeys.isSigned(deviceKeys, by: bot, device: device, key: ed25519), "the signature survives the server's round trip")

        let claimed = try await human.call("POST", "/_matrix/client/v3/keys/claim", .object([
            "one_time_keys": .object([server.botUser: .object([device: .string("signed_curve25519")])]),
        ]))
        guard case .object(let keys) = claimed["one_time_keys"]?[server.botUser]?[device], let oneTimeKey = keys.values.first else {
            Issue.record("no one-time key claimed: \(claimed)")
            return
        }
        #expect(DeviceKeys.isSigned(oneTimeKey, by: bot, device: device, key: ed25519))
        let claimedKey = try #require(oneTimeKey["key"]?.string)

        let humanAccount = try OlmAccount.create()
        let outbound = try OlmSession.outbound(from: humanAccount, to: curve25519, oneTimeKey: claimedKey)
        let message = try outbound.encrypt(#"{"type":"m.dummy","content":{}}"#)
        let inbound = try OlmSession.inbound(to: account, from: try humanAccount.identityKeys().curve25519, preKeyMessage: message.body)
        try account.removeOneTimeKeys(usedBy: inbound)
        #expect(try inbound.decrypt(message) == #"{"type":"m.dummy","content":{}}"#)

        let left = try await client.uploadKeys(.object([:]))
        #expect(left.oneTimeKeyCounts["signed_curve25519"] == 4, "the claimed key is gone from the server")
    }
}
