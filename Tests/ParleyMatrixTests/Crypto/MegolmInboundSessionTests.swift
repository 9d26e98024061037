import ParleyMatrix
import Testing

@Suite struct MegolmInboundSessionTests {
    @Test func theSessionKeyDecryptsEveryMessageFromItsIndexOnAndNotBefore() throws {
        let outbound = try MegolmOutboundSession.create()
        #expect(outbound.messageIndex == 0)
        let early = try outbound.encrypt("before the key was shared")
        let key = try outbound.sessionKey()
        let messages = try ["one", "two", "three"].map { try outbound.encrypt($0) }
        #expect(outbound.messageIndex == 4)

        let inbound = try MegolmInboundSession(sessionKey: key)
        #expect(try inbound.id() == outbound.id())
        #expect(inbound.firstKnownIndex == 1)
        for (offset, message) in messages.enumerated() {
            let (plaintext, index) = try inbound.decrypt(message)
            #expect(plaintext == ["one", "two", "three"][offset] && index == UInt32(offset + 1))
        }
        #expect(throws: OlmError(operation: "olm_group_decrypt", code: .unknownMessageIndex)) { _ = try inbound.decrypt(early) }
    }

    // libolm decrypts an index again: a replay is the caller's to refuse (by event id), so the
    // index comes back with the plaintext.
    @Test func aReplayedMessageDecryptsToTheSameIndex() throws {
        let outbound = try MegolmOutboundSession.create()
        let inbound = try MegolmInboundSession(sessionKey: try outbound.sessionKey())
        let message = try outbound.encrypt("once")
        #expect(try inbound.decrypt(message).index == 0)
        #expect(try inbound.decrypt(message).index == 0)
    }

    @Test func hostileCiphertextAndKeysAreRefusedAndTheSessionGoesOn() throws {
        let outbound = try MegolmOutboundSession.create()
        let inbound = try MegolmInboundSession(sessionKey: try outbound.sessionKey())
        let message = try outbound.encrypt("the real one")
        var flipped = Array(message)
        let middle = flipped.count / 2
        flipped[middle] = flipped[middle] == "A" ? "B" : "A"
        #expect(throws: OlmError.self) { _ = try inbound.decrypt(String(flipped)) }
        #expect(throws: OlmError.self) { _ = try inbound.decrypt("") }
        #expect(throws: OlmError.self) { _ = try inbound.decrypt("not base64 !!") }
        #expect(throws: OlmError.self) { _ = try inbound.decrypt(String(repeating: "A", count: 10_000)) }
        let other = try MegolmOutboundSession.create()
        #expect(throws: OlmError.self) { _ = try inbound.decrypt(try other.encrypt("another session")) }
        #expect(throws: OlmError.self) { _ = try MegolmInboundSession(sessionKey: "AAAA") }
        #expect(throws: OlmError.self) { _ = try MegolmInboundSession(sessionKey: "") }
        #expect(try inbound.decrypt(message).plaintext == "the real one")
    }

    @Test func anExportedKeyImportsFromItsIndexAndPicklesRoundTrip() throws {
        let key = PickleKey(Array("megolm pickle key".utf8))
        let outbound = try MegolmOutboundSession.create()
        let inbound = try MegolmInboundSession(sessionKey: try outbound.sessionKey())
        let first = try outbound.encrypt("first")
        let second = try outbound.encrypt("second")

        let forwarded = try MegolmInboundSession(exportedKey: try inbound.export(at: 1))
        #expect(forwarded.firstKnownIndex == 1)
        #expect(try forwarded.decrypt(second).plaintext == "second")
        #expect(throws: OlmError.self) { _ = try forwarded.decrypt(first) }

        let restored = try MegolmInboundSession(pickle: try inbound.pickle(key: key), key: key)
        #expect(try restored.decrypt(first).plaintext == "first")
        let restoredOutbound = try MegolmOutboundSession(pickle: try outbound.pickle(key: key), key: key)
        #expect(restoredOutbound.messageIndex == 2)
        #expect(try restored.decrypt(try restoredOutbound.encrypt("third")).index == 2)
        #expect(throws: OlmError.self) { _ = try MegolmInboundSession(pickle: try inbound.pickle(key: key), key: PickleKey([9])) }
    }
}
