import Foundation
import ParleyCore

/// SCRAM-SHA-256 (RFC 5802, RFC 7677) as the client: the password never crosses the wire, and
/// the server must prove it knows the password's salted key before the client calls the login
/// done. Channel binding is not used (`n,,`). The password is used as given (no SASLprep), which
/// is exact for ASCII passwords.
struct SCRAMExchange: SASLExchange {
    let account: String
    let password: Secret
    private let clientNonce: String
    private enum Step { case start, sentFirst(bare: String), sentFinal(serverSignature: [UInt8]), done }
    private var step = Step.start

    /// The most PBKDF2 iterations a server may ask for: a hostile server must not be able to
    /// make the client spin for minutes.
    static let maxIterations = 1_000_000

    init(account: String, password: Secret, nonce: String? = nil) {
        self.account = account
        self.password = password
        clientNonce = nonce ?? Data(OpenSSLCrypto.randomBytes(18)).base64EncodedString()
    }

    var isComplete: Bool {
        if case .done = step { return true }
        return false
    }

    mutating func respond(to challenge: [UInt8]) -> [UInt8]? {
        switch step {
        case .start:
            guard challenge.isEmpty else { return nil }
            let name = account.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
            let bare = "n=\(name),r=\(clientNonce)"
            step = .sentFirst(bare: bare)
            return Array(("n,," + bare).utf8)
        case .sentFirst(let bare):
            guard let serverFirst = String(validating: challenge, as: UTF8.self) else { return nil }
            let fields = Self.fields(serverFirst)
            guard let nonce = fields["r"], nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count,
                  let saltText = fields["s"], let salt = Data(base64Encoded: saltText), !salt.isEmpty,
                  let iterations = fields["i"].flatMap(Int.init), (1...Self.maxIterations).contains(iterations),
                  fields["m"] == nil,
                  let salted = OpenSSLCrypto.pbkdf2SHA256(password: Array(password.value.utf8), salt: Array(salt), iterations: iterations)
            else { return nil }
            let clientKey = OpenSSLCrypto.hmacSHA256(key: salted, Array("Client Key".utf8))
            let storedKey = OpenSSLCrypto.sha256(clientKey)
            let withoutProof = "c=biws,r=\(nonce)"
            let authMessage = Array("\(bare),\(serverFirst),\(withoutProof)".utf8)
            let signature = OpenSSLCrypto.hmacSHA256(key: storedKey, authMessage)
            let proof = zip(clientKey, signature).map { $0 ^ $1 }
            let serverKey = OpenSSLCrypto.hmacSHA256(key: salted, Array("Server Key".utf8))
            step = .sentFinal(serverSignature: OpenSSLCrypto.hmacSHA256(key: serverKey, authMessage))
            return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
        case .sentFinal(let expected):
            guard let serverFinal = String(validating: challenge, as: UTF8.self),
                  let verifier = Self.fields(serverFinal)["v"], let signature = Data(base64Encoded: verifier),
                  Self.constantTimeEqual(Array(signature), expected)
            else { return nil }
            step = .done
            return []
        case .done:
            return nil
        }
    }

    /// `a=1,b=2` into a dictionary (values may contain '=').
    private static func fields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for item in IRCText.fields(text, separator: ",") {
            let (key, value) = IRCText.keyAndValue(item)
            guard key.unicodeScalars.count == 1, let value else { continue }
            out[key] = value
        }
        return out
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
