import Foundation
@testable import ParleyMatrix
import Testing

@Suite struct RecoveryKeyTests {
    /// The bytes 0…31, as an independent base58 encoder (Python, in the test's history) wrote them.
    static let counting = "EsSz ykH7 LCZx 7Cae cmKD wcmY JRXi Ybtu 8iQ3 t8Ez nRwK pUY1"

    @Test func isWrittenInGroupsOfFourAsTheSpecSaysAndReadBack() throws {
        let key = RecoveryKey(bytes: Array(0..<32))
        #expect(key.text == Self.counting)
        #expect(try RecoveryKey(parsing: Self.counting) == key)
        #expect(try RecoveryKey(parsing: Self.counting.replacingOccurrences(of: " ", with: "") + "\n") == key)
        let random = RecoveryKey.random()
        #expect(try RecoveryKey(parsing: random.text) == random)
        #expect(random.text.count == 59)
    }

    @Test func aMistypedOrForeignTextSaysWhatIsWrong() {
        // One character changed: the check byte no longer matches.
        #expect(throws: RecoveryKey.Invalid.wrongParity) { try RecoveryKey(parsing: "EsSz ykH7 LCZx 7Cae cmKD wcmY JRXi Ybtu 8iQ3 t8Ez nRwK pUY2") }
        #expect(throws: RecoveryKey.Invalid.notBase58("0")) { try RecoveryKey(parsing: "EsSz ykH7 0CZx") }
        #expect(throws: RecoveryKey.Invalid.wrongLength(9)) { try RecoveryKey(parsing: "EsSz ykH7 LCZx") }
        // 35 bytes without the recovery key's prefix.
        let other = RecoveryKey(bytes: Array(repeating: 7, count: 32)).text
        #expect(throws: RecoveryKey.Invalid.wrongPrefix) { try RecoveryKey(parsing: "2" + other.dropFirst()) }
        #expect("\(RecoveryKey(bytes: Array(0..<32)))" == "RecoveryKey(not shown)")
    }
}
