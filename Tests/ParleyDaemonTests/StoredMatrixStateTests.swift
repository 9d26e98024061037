import Foundation
@testable import ParleyDaemon
import ParleyMatrix
import ParleyStore
import Testing

@Suite struct StoredMatrixStateTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-crypto-\(UUID().uuidString)/parley.sqlite").path

    @Test func encryptionRecordsSurviveReopeningPerAccountAndAreReplacedOrRemoved() async throws {
        do {
            let state = StoredMatrixState(store: try SQLiteStore(path: path))
            try await state.saveCrypto(account: "matrix", [
                CryptoRecord(kind: .account, key: "DEVICE", value: "account pickle"),
                CryptoRecord(kind: .olmSessions, key: "curve-a", value: #"["one"]"#),
                CryptoRecord(kind: .inboundGroupSession, key: "!r a s", value: "{}"),
            ])
            try await state.saveCrypto(account: "other", [CryptoRecord(kind: .account, key: "DEVICE", value: "another bot's")])
            try await state.saveCrypto(account: "matrix", [
                CryptoRecord(kind: .olmSessions, key: "curve-a", value: #"["one","two"]"#),
                CryptoRecord(kind: .inboundGroupSession, key: "!r a s", value: nil),
            ])
        }
        let reopened = StoredMatrixState(store: try SQLiteStore(path: path))
        #expect(try await reopened.loadCrypto(account: "matrix") == [
            CryptoRecord(kind: .account, key: "DEVICE", value: "account pickle"),
            CryptoRecord(kind: .olmSessions, key: "curve-a", value: #"["one","two"]"#),
        ])
        #expect(try await reopened.loadCrypto(account: "other").map(\.value) == ["another bot's"])
    }
}
