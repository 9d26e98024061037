import Foundation
import Logging
import ParleyCore

/// The server-side key backup, when `key_backup_recovery_key` is set: found (or started) at
/// sign-in, given every room key the bot takes in, and asked for the key of a message that waits
/// for one — so a re-installed bot reads what was sent to the device it replaced.
extension MatrixConnector {
    /// Finds the backup version the recovery key opens, or starts one when the account has none.
    /// A backup made with another key is left alone (and said): it may be someone's only copy.
    func startKeyBackup() async {
        guard keyBackup == nil, let recoveryKey = configuration.keyBackupRecoveryKey, let machine = crypto else { return }
        do {
            let key = try BackupKey(recoveryKey)
            if let current = try await client.keyBackupVersion() {
                guard CryptoMachine.backupMatches(current, key), let version = current["version"]?.string else {
                    logger.error(
                        "key backup is off: the account's key backup was made with another recovery key; give that key, or delete that backup (Element: Settings, Security) to start one with this key",
                        metadata: ["matrix.backup_version": "\(current["version"]?.string ?? "?")"])
                    return
                }
                keyBackup = (key, version)
                logger.info("key backup found", metadata: [
                    "matrix.backup_version": "\(version)", "matrix.count": "\(current["count"]?.number.map { Int($0) } ?? 0)"])
            } else {
                let version = try await client.createKeyBackup(algorithm: CryptoMachine.backupAlgorithm, authData: try machine.backupAuthData(key))
                keyBackup = (key, version)
                logger.info("key backup started", metadata: ["matrix.backup_version": "\(version)"])
            }
            await backUpKeys()
        } catch {
            logger.error("key backup is off: could not open or start it", metadata: ["matrix.error": "\(error)"])
        }
    }

    /// Uploads the room keys the backup does not hold yet, a hundred at a time.
    func backUpKeys() async {
        guard let machine = crypto, let backup = keyBackup else { return }
        do {
            while let (body, sessions) = try machine.keysToBackUp(in: backup.version, with: backup.key) {
                try await client.backUpKeys(body, version: backup.version)
                machine.markBackedUp(sessions, in: backup.version)
                try await saveCrypto(machine)
                logger.debug("room keys backed up", metadata: ["matrix.count": "\(sessions.count)", "matrix.backup_version": "\(backup.version)"])
            }
        } catch let error as MatrixError where error.code == "M_WRONG_ROOM_KEYS_VERSION" {
            keyBackup = nil
            logger.error("key backup is off: the account's key backup was replaced by another; restart to use the new one if this recovery key opens it")
        } catch {
            logger.warning("could not back up room keys; trying again with the next ones that come", metadata: ["matrix.error": "\(error)"])
        }
    }

    /// Asks the backup, once per session, for the key of the messages waiting on `session`;
    /// returns whether it came (and was believed).
    func restoreFromBackup(session: String, room: MatrixRoomID, sender: MatrixUserID) async -> Bool {
        guard let machine = crypto, let backup = keyBackup, backupLookups.insert(session).inserted else { return false }
        do {
            guard let data = try await client.backedUpKey(room: room, session: session, version: backup.version) else { return false }
            if !queriedUsers.contains(sender) { await refreshDevices(of: [sender]) }
            _ = try machine.restore(fromBackup: data, version: backup.version, with: backup.key, room: room, sessionID: session, sender: sender)
            try await saveCrypto(machine)
            logger.info("a room key came from the key backup", metadata: ["matrix.room": "\(room)", "matrix.session": "\(session)"])
            return true
        } catch let refusal as CryptoMachine.Refusal {
            logger.warning("refused a room key from the key backup", metadata: [
                "matrix.room": "\(room)", "matrix.session": "\(session)", "matrix.reason": "\(refusal)"])
            return false
        } catch {
            backupLookups.remove(session)  // asked again after the next sync
            logger.warning("could not reach the key backup", metadata: ["matrix.session": "\(session)", "matrix.error": "\(error)"])
            return false
        }
    }
}
