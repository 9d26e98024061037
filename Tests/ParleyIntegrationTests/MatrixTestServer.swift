import Foundation
import ParleyTesting

/// The homeserver `scripts/matrix-test-server start` runs for these tests (its settings in
/// `.build-matrix/env`). A missing server fails the tests: it is never a skip.
struct MatrixTestServer {
    let homeserver: URL
    let botUser: String
    let botPassword: String
    let humanUser: String
    let humanPassword: String
    let strangerUser: String
    let strangerPassword: String
    let repository: URL

    struct Missing: Error, CustomStringConvertible {
        var description: String { "no Matrix test homeserver: run `scripts/matrix-test-server start` (scripts/test does)" }
    }

    static func load() throws -> MatrixTestServer {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard let env = EnvFile(repository.appendingPathComponent(".build-matrix/env")) else { throw Missing() }
        func value(_ key: String) throws -> String { try env.value(key, or: Missing()) }
        return MatrixTestServer(
            homeserver: URL(string: try value("PARLEY_MATRIX_HOMESERVER"))!,
            botUser: try value("PARLEY_MATRIX_BOT_USER"), botPassword: try value("PARLEY_MATRIX_BOT_PASSWORD"),
            humanUser: try value("PARLEY_MATRIX_HUMAN_USER"), humanPassword: try value("PARLEY_MATRIX_HUMAN_PASSWORD"),
            strangerUser: try value("PARLEY_MATRIX_STRANGER_USER"), strangerPassword: try value("PARLEY_MATRIX_STRANGER_PASSWORD"),
            repository: repository)
    }

    /// Stops Synapse and starts it again on the same database.
    func restart() throws {
        try ChildProcess.run(["/bin/bash", repository.appendingPathComponent("scripts/matrix-test-server").path, "restart"])
    }

    func human() async throws -> MatrixHuman {
        try await MatrixHuman.login(homeserver, user: humanUser, password: humanPassword)
    }

    func stranger() async throws -> MatrixHuman {
        try await MatrixHuman.login(homeserver, user: strangerUser, password: strangerPassword)
    }
}
