import COlm
import ParleyCore

/// The key pair of the server-side key backup (`m.megolm_backup.v1.curve25519-aes-sha2`): room
/// keys are encrypted to its public key as they arrive, and read back with the private key,
/// which comes from the operator's recovery key (libolm's "PK" encryption: an ephemeral
/// Curve25519 key, AES-256-CBC and an HMAC-SHA-256 tag, each base64).
///
/// Owns libolm's memory; held by one task.
final class BackupKey {
    /// One encrypted room key as the backup keeps it (`session_data`).
    struct Sealed: Hashable {
        var ciphertext: String
        var mac: String
        var ephemeral: String

        var json: JSONValue {
            .object(["ciphertext": .string(ciphertext), "mac": .string(mac), "ephemeral": .string(ephemeral)])
        }

        init(ciphertext: String, mac: String, ephemeral: String) {
            self.ciphertext = ciphertext
            self.mac = mac
            self.ephemeral = ephemeral
        }

        init?(_ json: JSONValue?) {
            guard let ciphertext = json?["ciphertext"]?.string, let mac = json?["mac"]?.string,
                  let ephemeral = json?["ephemeral"]?.string else { return nil }
            self.init(ciphertext: ciphertext, mac: mac, ephemeral: ephemeral)
        }
    }

    private let decryption: OlmObject
    private let encryption: OlmObject
    /// Unpadded base64, as the backup's `auth_data.public_key`.
    let publicKey: String

    init(_ recoveryKey: RecoveryKey) throws(OlmError) {
        let decryption = OlmObject(.pkDecryption), encryption = OlmObject(.pkEncryption)
        let pointer = decryption.pointer
        // This call answers 0, not a length: the key fills the buffer.
        var publicKeyBytes = [UInt8](repeating: 0, count: olm_pk_key_length())
        try recoveryKey.bytes.withUnsafeBytes { secret in
            Result { () throws(OlmError) in
                try decryption.check(
                    olm_pk_key_from_private(pointer, &publicKeyBytes, publicKeyBytes.count, secret.baseAddress, secret.count),
                    "olm_pk_key_from_private")
            }
        }.get()
        let publicKey = String(decoding: publicKeyBytes, as: UTF8.self)
        let target = encryption.pointer
        let key = Array(publicKey.utf8)
        try encryption.check(olm_pk_encryption_set_recipient_key(target, key, key.count), "olm_pk_encryption_set_recipient_key")
        (self.decryption, self.encryption, self.publicKey) = (decryption, encryption, publicKey)
    }

    func encrypt(_ plaintext: String) throws(OlmError) -> Sealed {
        let pointer = encryption.pointer
        let input = Array(plaintext.utf8)
        var ciphertext = [UInt8](repeating: 0, count: olm_pk_ciphertext_length(pointer, input.count))
        var mac = [UInt8](repeating: 0, count: olm_pk_mac_length(pointer))
        var ephemeral = [UInt8](repeating: 0, count: olm_pk_key_length())
        try OlmCall.withRandom(olm_pk_encrypt_random_length(pointer)) { (random, count) throws(OlmError) in
            try encryption.check(olm_pk_encrypt(
                pointer, input, input.count, &ciphertext, ciphertext.count, &mac, mac.count, &ephemeral, ephemeral.count, random, count),
                "olm_pk_encrypt")
        }
        return Sealed(
            ciphertext: String(decoding: ciphertext, as: UTF8.self), mac: String(decoding: mac, as: UTF8.self),
            ephemeral: String(decoding: ephemeral, as: UTF8.self))
    }

    /// `badMessageMAC` when the data was not encrypted to this key or was changed.
    func decrypt(_ sealed: Sealed) throws(OlmError) -> String {
        let pointer = decryption.pointer
        let ephemeral = Array(sealed.ephemeral.utf8), mac = Array(sealed.mac.utf8)
        return try OlmCall.withScratch(sealed.ciphertext) { (ciphertext, count) throws(OlmError) in
            try decryption.text(olm_pk_max_plaintext_length(pointer, count), "olm_pk_decrypt") {
                olm_pk_decrypt(pointer, ephemeral, ephemeral.count, mac, mac.count, ciphertext, count, $0, $1)
            }
        }
    }
}
