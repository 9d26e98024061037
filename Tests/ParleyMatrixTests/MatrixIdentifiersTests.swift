import Foundation
@testable import ParleyMatrix
import Testing

@Suite struct MatrixIdentifiersTests {
    @Test func aUserIdHasALocalPartAndAServer() {
        let user: MatrixUserID = "@Alice:Example.org:8448"
        #expect(user.localpart == "Alice" && user.server == "example.org:8448" && user.isValid)
        for text in ["alice:example.org", "@alice", "@:example.org", "@alice:", "@al ice:example.org", "@a\u{7F}:x"] {
            #expect(!MatrixUserID(text).isValid, "\(text)")
        }
    }

    @Test func eachKindNeedsItsOwnSigil() {
        #expect(MatrixRoomID("!abc:example.org").isWellFormed && MatrixRoomID("!abcdef").isWellFormed)
        #expect(!MatrixRoomID("#alias:example.org").isWellFormed && !MatrixRoomID("!").isWellFormed)
        #expect(MatrixEventID("$event").isWellFormed && !MatrixEventID("event").isWellFormed)
        #expect(!MatrixEventID("$a\tb").isWellFormed && !MatrixEventID("$a\u{2028}b").isWellFormed)
    }

    @Test func idsAreCodedAsPlainStringsAndKeptAsSent() throws {
        struct Envelope: Codable, Equatable {
            var room: MatrixRoomID
            var sender: MatrixUserID
        }
        let json = #"{"room":"!Mixed:Case.org","sender":"@Bob:x"}"#
        let decoded = try JSONDecoder().decode(Envelope.self, from: Data(json.utf8))
        #expect(decoded.room.rawValue == "!Mixed:Case.org" && decoded.sender.rawValue == "@Bob:x")
        let encoded = String(decoding: try JSONEncoder().encode(decoded.room), as: UTF8.self)
        #expect(encoded == #""!Mixed:Case.org""#)
    }
}
