import Foundation
import Logging
import ParleyCore

/// The device's encryption keys: brought back from the database (or made) at sign-in, published,
/// and topped up as people claim one-time keys. Reading and answering encrypted rooms builds on
/// this (issue 12); until then the bot still tells an encrypted room once that it cannot read it.
extension MatrixConnector {
    /// Restores this device's encryption state, or makes it for a new device, and publishes its
    /// keys. Without a pickle key or a database it says why once and leaves encryption off; a
    /// pickle key that does not open the stored state is an error, never a silent new device.
    func startEncryption() async {
        guard crypto == nil else { return }
        guard let secret = configuration.cryptoPickleKey else {
            logger.info("encryption is off: set crypto_pickle_key (or crypto_pickle_key_file) to give this device keys")
            return
        }
        guard let store = cryptoStore, let device = deviceID else {
            logger.warning("encryption is off: it needs the database (storage) and a device id from the homeserver")
            return
        }
        let key = PickleKey(Array(secret.value.utf8))
        do {
            let records = try await store.loadCrypto(account: configuration.stateAccount)
            let machine: CryptoMachine
            if let restored = try CryptoMachine.restore(from: records, key: key, user: configuration.userID, device: device) {
                machine = restored
                logger.info("encryption keys restored", metadata: ["matrix.device": "\(device)"])
            } else {
                if let old = records.first(where: { $0.kind == .account })?.key {
                    logger.warning(
                        "this is a new device: the stored encryption keys belong to another one, and what was encrypted for it cannot be read here",
                        metadata: ["matrix.device": "\(device)", "matrix.old_device": "\(old)"])
                } else {
                    logger.info("a new device: making its encryption keys", metadata: ["matrix.device": "\(device)"])
                }
                machine = try CryptoMachine.create(user: configuration.userID, device: device)
            }
            crypto = machine
            // The server's count first (an empty upload answers it), then what is missing.
            let counts = try await client.uploadKeys(.object([:]))
            try await publish(
                machine, serverCount: counts.oneTimeKeyCounts["signed_curve25519"] ?? 0,
                hasFallbackKey: !records.isEmpty, includeDeviceKeys: true)
            logger.info("encryption keys published", metadata: [
                "matrix.device": "\(device)", "matrix.ed25519": "\(try machine.identityKeys.ed25519)"])
        } catch let error as OlmError where error.code == .badPickleKey {
            crypto = nil
            logger.error("encryption is off: crypto_pickle_key does not open the stored encryption keys; give the key they were made with")
        } catch {
            crypto = nil
            logger.error("encryption is off: could not set up this device's keys", metadata: ["matrix.error": "\(error)"])
        }
    }

    /// Publishes more one-time keys (and a fallback key) when a sync says the server runs low.
    func topUpKeys(serverCounts: [String: Int]?, unusedFallbackKeys: [String]?) async {
        guard let machine = crypto, let count = serverCounts?["signed_curve25519"] ?? (serverCounts == nil ? nil : 0) else { return }
        let hasFallback = unusedFallbackKeys?.contains("signed_curve25519") ?? true
        do {
            try await publish(machine, serverCount: count, hasFallbackKey: hasFallback, includeDeviceKeys: false)
        } catch {
            logger.warning("could not publish more one-time keys; trying again after the next sync", metadata: ["matrix.error": "\(error)"])
        }
    }

    /// Keys made are stored before they are uploaded (a key the server hands out must never be
    /// one the device forgot), and marked published after.
    private func publish(_ machine: CryptoMachine, serverCount: Int, hasFallbackKey: Bool, includeDeviceKeys: Bool) async throws {
        guard let body = try machine.keysToUpload(serverCount: serverCount, hasFallbackKey: hasFallbackKey, includeDeviceKeys: includeDeviceKeys) else {
            return
        }
        try await saveCrypto(machine)
        _ = try await client.uploadKeys(body)
        machine.markKeysPublished()
        try await saveCrypto(machine)
    }

    private func saveCrypto(_ machine: CryptoMachine) async throws {
        guard let store = cryptoStore, let secret = configuration.cryptoPickleKey else { return }
        let records = try machine.changes(pickledWith: PickleKey(Array(secret.value.utf8)))
        if !records.isEmpty { try await store.saveCrypto(account: configuration.stateAccount, records) }
    }
}
