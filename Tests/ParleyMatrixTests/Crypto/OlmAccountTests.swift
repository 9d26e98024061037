import Foundation
import ParleyMatrix
import Testing

@Suite struct OlmAccountTests {
    static let key = PickleKey(Array("a pickle key of thirty-two bytes".utf8))

    @Test func aPickledAccountComesBackWithTheSameKeysAndOnlyWithItsKey() throws {
        let account = try OlmAccount.create()
        try account.generateOneTimeKeys(3)
        let pickle = try account.pickle(key: Self.key)
        #expect(!pickle.contains(try account.identityKeys().curve25519), "the pickle is encrypted")

        let restored = try OlmAccount(pickle: pickle, key: Self.key)
        #expect(try restored.identityKeys() == account.identityKeys())
        #expect(try restored.oneTimeKeys() == account.oneTimeKeys())

        #expect(throws: OlmError(operation: "olm_unpickle_account", code: .badPickleKey)) {
            _ = try OlmAccount(pickle: pickle, key: PickleKey(Array("another key".utf8)))
        }
        #expect(throws: OlmError.self) { _ = try OlmAccount(pickle: "not base64 at all!", key: Self.key) }
    }

    @Test func oneTimeKeysAreHandedOutUntilMarkedPublishedAndTheFallbackKeyOnce() throws {
        let account = try OlmAccount.create()
        #expect(account.maxOneTimeKeys >= 50)
        try account.generateOneTimeKeys(5)
        let keys = try account.oneTimeKeys()
        #expect(keys.count == 5 && Set(keys.values).count == 5)
        account.markKeysAsPublished()
        #expect(try account.oneTimeKeys().isEmpty)

        #expect(try account.unpublishedFallbackKey().isEmpty)
        try account.generateFallbackKey()
        #expect(try account.unpublishedFallbackKey().count == 1)
        account.markKeysAsPublished()
        #expect(try account.unpublishedFallbackKey().isEmpty)
    }

    @Test func signaturesVerifyWithTheAccountsEd25519KeyAndNothingElse() throws {
        let account = try OlmAccount.create()
        let other = try OlmAccount.create()
        let message = #"{"algorithms":["m.olm.v1.curve25519-aes-sha2"],"device_id":"PARLEY"}"#
        let signature = try account.sign(message)
        let ed25519 = try account.identityKeys().ed25519
        #expect(Ed25519.verify(signature: signature, of: message, by: ed25519))
        #expect(!Ed25519.verify(signature: signature, of: message + " ", by: ed25519))
        #expect(!Ed25519.verify(signature: signature, of: message, by: try other.identityKeys().ed25519))
        #expect(!Ed25519.verify(signature: "garbage", of: message, by: ed25519))
        #expect(!Ed25519.verify(signature: signature, of: message, by: "not a key"))
    }
}
