import Foundation
import ParleyCore
@testable import ParleyIRC
import Testing

/// SCRAM-SHA-256 against the example exchange of RFC 7677, section 3.
@Suite struct SCRAMExchangeTests {
    static let nonce = "rOprNGfwEbeRWgbNEkqO"
    static let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test func matchesTheRFCExampleAndVerifiesTheServer() {
        var exchange = SCRAMExchange(account: "user", password: Secret("pencil"), nonce: Self.nonce)
        #expect(Self.text(exchange.respond(to: [])) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        #expect(Self.text(exchange.respond(to: Array(Self.serverFirst.utf8))) == Self.clientFinal)
        #expect(!exchange.isComplete)
        #expect(exchange.respond(to: Array(Self.serverFinal.utf8)) == [])
        #expect(exchange.isComplete)
    }

    @Test func aForgedServerSignatureIsRefused() {
        var exchange = SCRAMExchange(account: "user", password: Secret("pencil"), nonce: Self.nonce)
        _ = exchange.respond(to: [])
        _ = exchange.respond(to: Array(Self.serverFirst.utf8))
        #expect(exchange.respond(to: Array("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".utf8)) == nil)
        #expect(!exchange.isComplete)
    }

    @Test(arguments: [
        "r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // nonce not extending ours
        "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // nothing added by the server
        "r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096",  // no salt
        "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
        "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=999999999",  // would spin for minutes
        "m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // mandatory extension
        "garbage",
    ])
    func hostileServerFirstMessagesAreRefused(_ serverFirst: String) {
        var exchange = SCRAMExchange(account: "user", password: Secret("pencil"), nonce: Self.nonce)
        _ = exchange.respond(to: [])
        #expect(exchange.respond(to: Array(serverFirst.utf8)) == nil)
    }

    @Test func theClientStateMachineAbortsASuccessWithoutTheServersProof() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", sasl: .scramSHA256(account: "user", password: Secret("pencil"))))
        client.connect()
        client.server(":irc.test CAP * LS :sasl=SCRAM-SHA-256", ":irc.test CAP * ACK :sasl")
        #expect(client.sent.last == "AUTHENTICATE SCRAM-SHA-256")
        #expect(client.server("AUTHENTICATE +").count == 1)
        // The server skips its proof and claims success.
        #expect(client.server(":irc.test 903 parley :SASL authentication successful") == ["AUTHENTICATE *"])
        guard case .saslFailed(let detail)? = client.disconnect?.reason else {
            Issue.record("a forged success was believed")
            return
        }
        #expect(detail.contains("forged"))
    }

    @Test func aWrongServerSignatureAbortsWithAuthenticateStar() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", sasl: .scramSHA256(account: "user", password: Secret("pencil"))))
        client.connect()
        client.server(":irc.test CAP * LS :sasl", ":irc.test CAP * ACK :sasl", "AUTHENTICATE +")
        let first = client.sent.last!.split(separator: " ").last!
        let clientFirst = String(decoding: Data(base64Encoded: String(first))!, as: UTF8.self)
        let clientNonce = clientFirst.components(separatedBy: "r=").last!
        let serverFirst = "r=\(clientNonce)abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        client.server("AUTHENTICATE \(Data(serverFirst.utf8).base64EncodedString())")
        let forged = Data("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8).base64EncodedString()
        #expect(client.server("AUTHENTICATE \(forged)") == ["AUTHENTICATE *"])
        #expect(client.disconnect != nil)
    }
}
