/// Where an IRC server is and how to reach it safely.
public struct IRCEndpoint: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// TLS settings; nil for plaintext (only ever when configured so).
    public var tls: TLSSettings?
    public var connectTimeout: Duration

    public init(host: String, port: Int, tls: TLSSettings? = TLSSettings(), connectTimeout: Duration = .seconds(20)) {
        self.host = host
        self.port = port
        self.tls = tls
        self.connectTimeout = connectTimeout
    }

    /// How the server's certificate is checked, and the client's own certificate.
    public struct TLSSettings: Sendable, Hashable {
        public enum Verification: Sendable, Hashable {
            /// The chain against the system's trust store, and the host name (the default).
            case system
            /// The chain against the CAs in this PEM file, and the host name.
            case caFile(String)
            /// The server certificate's SHA-256 fingerprint (hex, colons allowed), for a
            /// self-signed server; the chain is not checked, the key is.
            case pinnedSHA256(String)
            /// Nothing checked. Only when configured, and warned about at every connect.
            case none
        }

        public var verification: Verification
        /// A PEM certificate (chain) and its key, for SASL EXTERNAL (CertFP).
        public var clientCertificate: String?
        public var clientKey: String?

        public init(verification: Verification = .system, clientCertificate: String? = nil, clientKey: String? = nil) {
            self.verification = verification
            self.clientCertificate = clientCertificate
            self.clientKey = clientKey
        }
    }
}

/// Why a connection could not be made or was lost.
public enum IRCTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case resolve(host: String, reason: String)
    case connect(host: String, port: Int, reason: String)
    case timeout(host: String, port: Int, step: String)
    /// The TLS handshake failed (protocol versions, ciphers, a closed socket).
    case tls(String)
    /// The server's certificate chain or name did not verify.
    case certificate(String)
    case pinMismatch(expected: String, found: String)
    case clientCertificate(path: String, reason: String)
    case io(String)
    /// Shutdown (or the task's cancellation) stopped the connect or the handshake.
    case cancelled

    public var description: String {
        switch self {
        case .resolve(let host, let reason): "cannot resolve \(host): \(reason)"
        case .connect(let host, let port, let reason): "cannot connect to \(host):\(port): \(reason)"
        case .timeout(let host, let port, let step): "\(host):\(port): timed out during \(step)"
        case .tls(let reason): "TLS handshake failed: \(reason)"
        case .certificate(let reason): "the server's certificate did not verify: \(reason) (set tls.ca_file, or pin its fingerprint with tls.pin_sha256)"
        case .pinMismatch(let expected, let found): "the server's certificate fingerprint is \(found), not the pinned \(expected)"
        case .clientCertificate(let path, let reason): "cannot use the client certificate \(path): \(reason)"
        case .io(let reason): "connection lost: \(reason)"
        case .cancelled: "the connection attempt was cancelled (shutting down)"
        }
    }
}
