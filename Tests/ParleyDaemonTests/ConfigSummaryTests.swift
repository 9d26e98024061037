@testable import ParleyDaemon
import Testing

@Suite struct ConfigSummaryTests {
    func summary(_ matrixLines: String) throws -> String {
        let text = """
            backends: { a: { type: echo } }
            networks:
              m:
                type: matrix
                homeserver: https://matrix.example.org
                user_id: "@bot:example.org"
                access_token: secret-token
            \(matrixLines)
            """
        return ConfigSummary(try ConfigLoader.parse(text, file: "p.yaml", environment: [:])).text(file: "p.yaml")
    }

    @Test func aMatrixNetworkSaysWhetherEncryptionAndTheKeyBackupAreOnAndNeverShowsTheirKeys() throws {
        #expect(try summary("").contains("rooms by invite, encryption off)"))
        let on = try summary("""
                crypto_pickle_key: a-pickle-key-of-at-least-thirty-two-chars
                key_backup_recovery_key: "EsSz ykH7 LCZx 7Cae cmKD wcmY JRXi Ybtu 8iQ3 t8Ez nRwK pUY1"
                blacklisted_devices: ["@mallory:example.org"]
            """)
        #expect(on.contains("encryption on, key backup on, 1 blacklisted)"), "\(on)")
        #expect(!on.contains("a-pickle-key") && !on.contains("EsSz") && !on.contains("secret-token"))
    }
}
