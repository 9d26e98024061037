import ArgumentParser
import ParleyMatrix

/// `parley matrix …`: routes to `recovery-key`.
struct MatrixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix", abstract: "Matrix account tools.", subcommands: [MatrixRecoveryKey.self])
}

/// `parley matrix recovery-key`: prints a new recovery key for `key_backup_recovery_key`, from
/// the system's random generator. It is printed once and kept nowhere: store it as a secret.
struct MatrixRecoveryKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recovery-key",
        abstract: "Print a new key backup recovery key (store it as a secret; it is kept nowhere else).")

    func run() {
        print(RecoveryKey.random().text)
    }
}
