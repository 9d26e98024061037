import COlm

/// Ed25519 signature checks (device keys, signed one-time keys, cross-signing), through libolm.
public enum Ed25519 {
    /// Whether `signature` (unpadded base64) is `key`'s signature of `message`. A malformed key
    /// or signature is simply not valid.
    public static func verify(signature: String, of message: String, by key: String) -> Bool {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: olm_utility_size(), alignment: 16)
        let utility = olm_utility(memory)
        defer {
            olm_clear_utility(utility)
            memory.deallocate()
        }
        let result = try? OlmCall.withScratch(key) { (keyBytes, keyCount) throws(OlmError) in
            try OlmCall.withScratch(message) { (messageBytes, messageCount) throws(OlmError) in
                try OlmCall.withScratch(signature) { (signatureBytes, signatureCount) throws(OlmError) in
                    olm_ed25519_verify(utility, keyBytes, keyCount, messageBytes, messageCount, signatureBytes, signatureCount)
                }
            }
        }
        return result == 0
    }
}
