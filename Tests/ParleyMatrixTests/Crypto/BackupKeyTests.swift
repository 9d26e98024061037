@testable import ParleyMatrix
import Testing

@Suite struct BackupKeyTests {
    @Test func whatIsEncryptedToTheBackupOpensWithItsRecoveryKeyOnly() throws {
        let recoveryKey = RecoveryKey.random()
        let key = try BackupKey(recoveryKey)
        #expect(key.publicKey.count == 43, "unpadded base64 of 32 bytes")
        #expect(try BackupKey(recoveryKey).publicKey == key.publicKey, "the same recovery key, the same backup")
        let sealed = try key.encrypt(#"{"session_key":"a room key"}"#)
        #expect(try BackupKey(recoveryKey).decrypt(sealed) == #"{"session_key":"a room key"}"#)
        #expect(BackupKey.Sealed(sealed.json) == sealed)

        let stranger = try BackupKey(RecoveryKey.random())
        #expect(stranger.publicKey != key.publicKey)
        #expect(throws: OlmError.self) { try stranger.decrypt(sealed) }
        var tampered = sealed
        tampered.mac = try key.encrypt("other").mac
        #expect(throws: OlmError.self) { try key.decrypt(tampered) }
    }
}
