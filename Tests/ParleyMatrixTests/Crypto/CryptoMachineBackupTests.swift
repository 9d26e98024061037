import Foundation
@testable import ParleyMatrix
import ParleyCore
import Testing

/// The key backup's rules: what goes up, and what is believed when it comes back.
@Suite struct CryptoMachineBackupTests {
    typealias Person = CryptoMachineTests.PersonDevice
    let room = CryptoMachineTests.room
    let botAccount: OlmAccount
    let machine: CryptoMachine
    let alice: Person
    let key: BackupKey

    init() throws {
        // The bot's machine and Alice's device as the decryption tests set them up.
        let setup = try CryptoMachineTests()
        (botAccount, machine, alice) = (setup.botAccount, setup.machine, setup.alice)
        key = try BackupKey(RecoveryKey.random())
        _ = try machine.receiveToDevice(
            sender: CryptoMachineTests.alice, content: try alice.toDevice("m.room_key", try alice.roomKey(for: room), to: machine, botAccount: botAccount))
    }

    /// A machine on a new device that knows Alice's device (as a `/keys/query` tells it).
    func reinstalled() throws -> CryptoMachine {
        let fresh = try CryptoMachine(account: try OlmAccount.create(), user: CryptoMachineTests.bot, device: "NEWDEVICE")
        fresh.devices.update(CryptoMachineTests.alice, from: .object([alice.id: try alice.deviceKeys]))
        return fresh
    }

    func entry(_ body: JSONValue) throws -> JSONValue {
        try #require(body["rooms"]?[room.rawValue]?["sessions"]?[try alice.megolm.id()])
    }

    @Test func aRoomKeyGoesUpOnceAndANewDeviceReadsItsMessagesWithIt() throws {
        let message = try alice.message("sent to the old device", id: "$old")
        let (body, sessions) = try #require(try machine.keysToBackUp(in: "1", with: key))
        #expect(sessions.count == 1)
        let data = try entry(body)
        #expect(data["first_message_index"] == .number(0) && data["is_verified"] == .bool(false))
        machine.markBackedUp(sessions, in: "1")
        #expect(try machine.keysToBackUp(in: "1", with: key) == nil, "each key goes up once")
        #expect(try machine.keysToBackUp(in: "2", with: key) != nil, "and again into a new backup version")

        let fresh = try reinstalled()
        #expect(throws: CryptoMachine.Refusal.missingRoomKey(sessionID: try alice.megolm.id())) { try fresh.decrypt(message, in: room) }
        let restored = try fresh.restore(
            fromBackup: data, version: "1", with: key, room: room, sessionID: try alice.megolm.id(), sender: CryptoMachineTests.alice)
        #expect(restored.sessionID == (try alice.megolm.id()))
        #expect(try fresh.decrypt(message, in: room).content["body"]?.string == "sent to the old device")
        #expect(try fresh.keysToBackUp(in: "1", with: key) == nil, "a key from the backup is not sent back to it")
    }

    @Test func theBackupMarkSurvivesARestart() throws {
        let (_, sessions) = try #require(try machine.keysToBackUp(in: "1", with: key))
        machine.markBackedUp(sessions, in: "1")
        let pickleKey = PickleKey(Array("a pickle key of at least thirty-two characters".utf8))
        let records = try machine.changes(pickledWith: pickleKey)
        let restored = try #require(try CryptoMachine.restore(from: records, key: pickleKey, user: CryptoMachineTests.bot, device: "PARLEY"))
        #expect(try restored.keysToBackUp(in: "1", with: key) == nil)
    }

    @Test func aBackedUpKeyIsBelievedOnlyForItsSendersDeviceItsSessionAndThisRecoveryKey() throws {
        let data = try entry(try #require(try machine.keysToBackUp(in: "1", with: key)).body)
        let session = try alice.megolm.id()
        func restore(_ data: JSONValue, into machine: CryptoMachine, with key: BackupKey? = nil, session: String? = nil,
                     sender: MatrixUserID = CryptoMachineTests.alice) throws(CryptoMachine.Refusal) {
            _ = try machine.restore(fromBackup: data, version: "1", with: key ?? self.key, room: room, sessionID: session ?? (try? alice.megolm.id()) ?? "",
                                    sender: sender)
        }
        // Another user's message cannot be opened with Alice's key, nor one from a device nobody vouches for.
        #expect(throws: CryptoMachine.Refusal.unknownDevice(CryptoMachineTests.mallory, senderKey: alice.keys.curve25519)) {
            try restore(data, into: try reinstalled(), sender: CryptoMachineTests.mallory)
        }
        let stranger = try CryptoMachine(account: try OlmAccount.create(), user: CryptoMachineTests.bot, device: "OTHER")
        #expect(throws: CryptoMachine.Refusal.unknownDevice(CryptoMachineTests.alice, senderKey: alice.keys.curve25519)) {
            try restore(data, into: stranger)
        }
        #expect(throws: CryptoMachine.Refusal.misaddressed("the backed-up key is for another session")) {
            try restore(data, into: try reinstalled(), session: "another-session")
        }
        #expect(throws: CryptoMachine.Refusal.self) { try restore(data, into: try reinstalled(), with: try BackupKey(RecoveryKey.random())) }
        #expect(throws: CryptoMachine.Refusal.malformed("backup entry without session_data")) { try restore(.object([:]), into: try reinstalled()) }
        let notJSON: JSONValue = .object(["session_data": try key.encrypt("not json").json])
        #expect(throws: CryptoMachine.Refusal.malformed("the backed-up key is not JSON")) { try restore(notJSON, into: try reinstalled()) }
        #expect(session.isEmpty == false)
    }

    @Test func theBackupIsSignedByThisDeviceAndRecognisedByItsPublicKey() throws {
        let authData = try machine.backupAuthData(key)
        #expect(authData["public_key"]?.string == key.publicKey)
        #expect(DeviceKeys.isSigned(authData, by: CryptoMachineTests.bot, device: "PARLEY", key: machine.identityKeys.ed25519))
        let version: JSONValue = .object(["algorithm": .string(CryptoMachine.backupAlgorithm), "auth_data": authData, "version": .string("3")])
        #expect(CryptoMachine.backupMatches(version, key))
        #expect(!CryptoMachine.backupMatches(version, try BackupKey(RecoveryKey.random())))
        #expect(!CryptoMachine.backupMatches(.object(["algorithm": .string("m.other"), "auth_data": authData]), key))
    }
}
