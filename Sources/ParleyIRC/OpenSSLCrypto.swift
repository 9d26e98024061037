import COpenSSL

/// The hash primitives SCRAM-SHA-256 needs, from the system's OpenSSL.
enum OpenSSLCrypto {
    static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = SHA256(data, data.count, &out)
        return out
    }

    static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        _ = HMAC(EVP_sha256(), key, Int32(key.count), data, data.count, &out, &length)
        return out
    }

    /// PBKDF2-HMAC-SHA256, 32 bytes; nil if OpenSSL refuses (it does not for sane input).
    static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = password.withUnsafeBufferPointer { p in
            PKCS5_PBKDF2_HMAC(
                p.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(password.count),
                salt, Int32(salt.count), Int32(iterations), EVP_sha256(), 32, &out)
        }
        return ok == 1 ? out : nil
    }

    /// Cryptographically random bytes.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        if RAND_bytes(&out, Int32(count)) != 1 {
            var generator = SystemRandomNumberGenerator()
            for i in out.indices { out[i] = generator.next() }
        }
        return out
    }
}
