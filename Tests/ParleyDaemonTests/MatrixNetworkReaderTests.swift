import Foundation
import ParleyCore
@testable import ParleyDaemon
import ParleyMatrix
import Testing

@Suite struct MatrixNetworkReaderTests {
    static let base = """
        backends:
          main: { type: echo }
        networks:
          matrix:
            type: matrix
            homeserver: https://matrix.example.org
            user_id: "@parley:example.org"

        """

    func parse(_ text: String, environment: [String: String] = [:]) throws -> MatrixConnectorConfiguration {
        guard case .matrix(let configuration) = try firstNetwork(of: text, environment: environment) else { throw UnexpectedNetworkKind() }
        return configuration
    }

    func error(_ text: String, environment: [String: String] = [:]) -> String {
        errorText { try parse(text, environment: environment) }
    }

    @Test func aTokenFromTheEnvironmentAndSafeDefaults() throws {
        let matrix = try parse(Self.base + "    access_token: \"${TOKEN}\"\n", environment: ["TOKEN": "syt_abc"])
        #expect(matrix.authentication == .accessToken(Secret("syt_abc")))
        #expect(matrix.replyStyle == .notice)
        #expect(matrix.leaveWhenAlone)
        #expect(matrix.invites.allows("@bob:example.org"), "by default, people on the bot's own server may invite it")
        #expect(!matrix.invites.allows("@bob:elsewhere.org"))
        #expect(matrix.editInterval == .seconds(1))
    }

    @Test func rememberedEventsBoundsTheIdsKeptAgainstAnsweringTwice() throws {
        #expect(try parse(Self.base + "    access_token: t\n").rememberedEvents == 20_000)
        #expect(try parse(Self.base + "    access_token: t\n    remembered_events: 500\n").rememberedEvents == 500)
        #expect(error(Self.base + "    access_token: t\n    remembered_events: 5\n").contains("remembered_events"))
    }

    @Test func thePickleKeyComesFromTheEnvironmentOrAFileAndMustBeLong() throws {
        let key = "k3y-for-the-bots-encryption-state-0123456789"
        let matrix = try parse(Self.base + "    access_token: t\n    crypto_pickle_key: \"${PICKLE}\"\n", environment: ["PICKLE": key])
        #expect(matrix.cryptoPickleKey == Secret(key))
        #expect(try parse(Self.base + "    access_token: t\n").cryptoPickleKey == nil)
        #expect(matrix.roomKeyWait == .seconds(60))
        #expect(try parse(Self.base + "    access_token: t\n    room_key_wait_s: 5\n").roomKeyWait == .seconds(5))
        #expect(error(Self.base + "    access_token: t\n    room_key_wait_s: 0\n").contains("room_key_wait_s"))
        let short = error(Self.base + "    access_token: t\n    crypto_pickle_key: short\n")
        #expect(short.contains(":9: networks.matrix.crypto_pickle_key") && short.contains("32 characters"), "\(short)")
        #expect(!short.contains("short\""), "the key itself is never repeated: \(short)")
    }

    @Test func theRecoveryKeyIsCheckedWhenReadAndNeedsEncryption() throws {
        let recovery = "EsSz ykH7 LCZx 7Cae cmKD wcmY JRXi Ybtu 8iQ3 t8Ez nRwK pUY1"
        let pickle = "    access_token: t\n    crypto_pickle_key: k3y-for-the-bots-encryption-state-0123456789\n"
        let matrix = try parse(Self.base + pickle + "    key_backup_recovery_key: \"${RECOVERY}\"\n", environment: ["RECOVERY": recovery])
        #expect(matrix.keyBackupRecoveryKey == (try RecoveryKey(parsing: recovery)))
        #expect(try parse(Self.base + pickle).keyBackupRecoveryKey == nil)
        let mistyped = error(Self.base + pickle + "    key_backup_recovery_key: \"\(recovery.dropLast())2\"\n")
        #expect(mistyped.contains("networks.matrix.key_backup_recovery_key") && mistyped.contains("check byte"), "\(mistyped)")
        #expect(!mistyped.contains("EsSz"), "the key itself is never repeated: \(mistyped)")
        let alone = error(Self.base + "    access_token: t\n    key_backup_recovery_key: \"\(recovery)\"\n")
        #expect(alone.contains("needs crypto_pickle_key"), "\(alone)")
    }

    @Test func blacklistedDevicesAreWholeUsersOrOneDevice() throws {
        let matrix = try parse(Self.base + """
                access_token: t
                blacklisted_devices: ["@mallory:example.org", { user: "@bob:example.org", device: OLDPHONE }]

            """)
        #expect(matrix.blacklistedDevices == [
            BlacklistedDevice(user: "@mallory:example.org"), BlacklistedDevice(user: "@bob:example.org", device: "OLDPHONE"),
        ])
        #expect(error(Self.base + "    access_token: t\n    blacklisted_devices: [mallory]\n").contains("not a Matrix user id"))
        #expect(error(Self.base + "    access_token: t\n    blacklisted_devices: [{ device: X }]\n").contains("user"))
    }

    @Test func readsEverySetting() throws {
        let matrix = try parse(Self.base + """
                password: hunter2
                device_name: Helpdesk
                rooms: ["#help:example.org", "!abc:example.org"]
                invites_from: ["@alice:partner.org", partner.org, ":third.org"]
                leave_when_alone: false
                reply_with: text
                notices_from: ["@relay:example.org"]
                edit_interval_ms: 500
                timeline_limit: 50
                max_reconnect_delay_s: 30
                language: zh

            """)
        #expect(matrix.language == .simplifiedChinese)
        #expect(matrix.authentication == .password(Secret("hunter2")))
        #expect(matrix.deviceName == "Helpdesk")
        #expect(matrix.rooms == ["#help:example.org", "!abc:example.org"])
        #expect(matrix.invites.allows("@alice:partner.org") && matrix.invites.allows("@x:partner.org") && matrix.invites.allows("@y:third.org"))
        #expect(!matrix.invites.allows("@bob:example.org"), "a list replaces the default")
        #expect(!matrix.leaveWhenAlone)
        #expect(matrix.replyStyle == .message)
        #expect(matrix.noticesFrom == ["@relay:example.org"])
        #expect(matrix.editInterval == .milliseconds(500))
        #expect(matrix.timelineLimit == 50)
        #expect(matrix.maxReconnectDelay == .seconds(30))
    }

    @Test func mistakesAreClearErrors() {
        #expect(error(Self.base).contains("give access_token"))
        #expect(error(Self.base + "    access_token: a\n    password: b\n").contains("access_token"))
        #expect(error(Self.base + "    access_token: \"${MISSING}\"\n").contains("MISSING is not set"))
        #expect(error(Self.base.replacingOccurrences(of: "https://matrix.example.org", with: "matrix.example.org") + "    access_token: a\n")
            .contains("is not a homeserver URL"))
        #expect(error(Self.base.replacingOccurrences(of: "\"@parley:example.org\"", with: "parley") + "    access_token: a\n")
            .contains("is not a Matrix user id"))
        #expect(error(Self.base + "    access_token: a\n    rooms: [helpdesk]\n").contains("is not a room id"))
        #expect(error(Self.base + "    access_token: a\n    reply_with: notise\n").contains("did you mean 'notice'?"))
        #expect(error(Self.base + "    access_token: a\n    invite_from: [x.org]\n").contains("did you mean 'invites_from'?"))
        // An IRC key on a Matrix network is refused, with the keys that are valid here.
        let ircKey = error(Self.base + "    access_token: a\n    nick: parley\n")
        #expect(ircKey.contains("networks.matrix.nick: unknown key") && ircKey.contains("homeserver, user_id"))
    }
}
