import ParleyMatrix
import Testing

@Suite struct OlmSessionTests {
    /// Bob publishes a one-time key; Alice starts a session with it.
    static func pair() throws -> (alice: OlmAccount, bob: OlmAccount, outbound: OlmSession, oneTimeKey: String) {
        let alice = try OlmAccount.create()
        let bob = try OlmAccount.create()
        try bob.generateOneTimeKeys(1)
        let oneTimeKey = try #require(try bob.oneTimeKeys().values.first)
        bob.markKeysAsPublished()
        let outbound = try OlmSession.outbound(from: alice, to: try bob.identityKeys().curve25519, oneTimeKey: oneTimeKey)
        return (alice, bob, outbound, oneTimeKey)
    }

    @Test func aPreKeyMessageStartsTheSessionOnTheOtherSideAndTheyTalkBothWays() throws {
        let (alice, bob, outbound, _) = try Self.pair()
        let first = try outbound.encrypt(#"{"type":"m.room_key"}"#)
        #expect(first.kind == .preKey)
        let aliceKey = try alice.identityKeys().curve25519
        let inbound = try OlmSession.inbound(to: bob, from: aliceKey, preKeyMessage: first.body)
        try bob.removeOneTimeKeys(usedBy: inbound)
        #expect(try inbound.decrypt(first) == #"{"type":"m.room_key"}"#)
        #expect(try inbound.id() == outbound.id())

        let reply = try inbound.encrypt("and back")
        #expect(reply.kind == .normal)
        #expect(try outbound.decrypt(reply) == "and back")
        #expect(try outbound.encrypt("after the answer").kind == .normal)

        // The one-time key is gone: the same pre-key message cannot start a second session.
        #expect(throws: OlmError(operation: "olm_create_inbound_session_from", code: .badMessageKeyID)) {
            _ = try OlmSession.inbound(to: bob, from: aliceKey, preKeyMessage: first.body)
        }
    }

    @Test func aPreKeyMessageIsMatchedToItsSessionAndItsSenderOnly() throws {
        let (alice, bob, outbound, _) = try Self.pair()
        let first = try outbound.encrypt("one")
        let second = try outbound.encrypt("two")
        let aliceKey = try alice.identityKeys().curve25519
        let inbound = try OlmSession.inbound(to: bob, from: aliceKey, preKeyMessage: first.body)
        #expect(try inbound.matches(preKeyMessage: second.body, from: aliceKey))
        #expect(try !inbound.matches(preKeyMessage: second.body, from: try bob.identityKeys().curve25519))
        // Claimed to come from another device: refused before anything is decrypted.
        let mallory = try OlmAccount.create()
        #expect(throws: OlmError.self) {
            _ = try OlmSession.inbound(to: bob, from: try mallory.identityKeys().curve25519, preKeyMessage: second.body)
        }
    }

    @Test func tamperedOrForeignCiphertextIsRefusedAndTheSessionGoesOn() throws {
        let (alice, bob, outbound, _) = try Self.pair()
        let first = try outbound.encrypt("hello")
        let inbound = try OlmSession.inbound(to: bob, from: try alice.identityKeys().curve25519, preKeyMessage: first.body)
        _ = try inbound.decrypt(first)
        let reply = try inbound.encrypt("a reply")

        var flipped = Array(reply.body)
        let middle = flipped.count / 2
        flipped[middle] = flipped[middle] == "A" ? "B" : "A"
        #expect(throws: OlmError(operation: "olm_decrypt", code: .badMessageMAC)) {
            _ = try outbound.decrypt(OlmSession.Message(kind: .normal, body: String(flipped)))
        }
        #expect(throws: OlmError.self) { _ = try outbound.decrypt(OlmSession.Message(kind: .normal, body: "")) }
        #expect(throws: OlmError.self) { _ = try outbound.decrypt(OlmSession.Message(kind: .normal, body: "%%%")) }
        #expect(throws: OlmError.self) { _ = try outbound.decrypt(OlmSession.Message(kind: .normal, body: String(repeating: "A", count: 5000))) }
        // A message of another session.
        let (_, _, stranger, _) = try Self.pair()
        #expect(throws: OlmError.self) { _ = try outbound.decrypt(try stranger.encrypt("not yours")) }

        #expect(try outbound.decrypt(reply) == "a reply", "the real message still decrypts")
    }

    @Test func aPickledSessionGoesOnWhereItStopped() throws {
        let key = PickleKey(Array("session pickle key".utf8))
        let (alice, bob, outbound, _) = try Self.pair()
        let first = try outbound.encrypt("one")
        let inbound = try OlmSession.inbound(to: bob, from: try alice.identityKeys().curve25519, preKeyMessage: first.body)
        _ = try inbound.decrypt(first)
        let restored = try OlmSession(pickle: try inbound.pickle(key: key), key: key)
        #expect(try restored.decrypt(try outbound.encrypt("two")) == "two")
        #expect(throws: OlmError(operation: "olm_unpickle_session", code: .badPickleKey)) {
            _ = try OlmSession(pickle: try inbound.pickle(key: key), key: PickleKey([1, 2, 3]))
        }
    }
}
