import COpenSSL
import COpenSSLShims
#if canImport(Glibc)
import Glibc
#endif

/// The client side of a TLS handshake on a connected socket, with the checks Parley insists on:
/// TLS 1.2 or later, SNI, the chain verified against the system store (or a configured CA file)
/// and the certificate's name against the host, or else a pinned SHA-256 fingerprint.
enum TLSHandshake {
    /// Returns the context and connection, handshake done and verified.
    static func perform(
        on socket: Int32, host: String, settings: IRCEndpoint.TLSSettings, deadline: ContinuousClock.Instant, port: Int,
        interrupt: TCPConnection.Interrupt
    ) throws -> (OpaquePointer, OpaquePointer) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw IRCTransportError.tls(lastError()) }
        var ssl: OpaquePointer?
        do {
            guard parley_ssl_ctx_set_min_tls12(context) == 1 else { throw IRCTransportError.tls(lastError()) }
            switch settings.verification {
            case .system:
                SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
                guard SSL_CTX_set_default_verify_paths(context) == 1 else { throw IRCTransportError.tls(lastError()) }
            case .caFile(let path):
                SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
                guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
                    throw IRCTransportError.certificate("cannot load the CA file \(path): \(lastError())")
                }
            case .pinnedSHA256, .none:
                SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
            }
            if let certificate = settings.clientCertificate {
                guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                    throw IRCTransportError.clientCertificate(path: certificate, reason: lastError())
                }
                let key = settings.clientKey ?? certificate
                guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1,
                      SSL_CTX_check_private_key(context) == 1 else {
                    throw IRCTransportError.clientCertificate(path: key, reason: lastError())
                }
            }
            guard let connection = SSL_new(context) else { throw IRCTransportError.tls(lastError()) }
            ssl = connection
            parley_ssl_set_modes(connection)
            _ = SSL_set_fd(connection, socket)
            let isAddress = isIPAddress(host)
            if !isAddress { _ = parley_ssl_set_sni(connection, host) }
            switch settings.verification {
            case .system, .caFile:
                if isAddress {
                    _ = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(connection), host)
                } else {
                    _ = SSL_set1_host(connection, host)
                }
            case .pinnedSHA256, .none:
                break
            }
            try handshake(connection, socket: socket, host: host, port: port, deadline: deadline, interrupt: interrupt)
            if case .pinnedSHA256(let expected) = settings.verification {
                let found = try fingerprint(connection)
                guard normalised(expected) == found else {
                    throw IRCTransportError.pinMismatch(expected: normalised(expected), found: found)
                }
            }
            return (context, connection)
        } catch {
            if let ssl { SSL_free(ssl) }
            SSL_CTX_free(context)
            throw error
        }
    }

    private static func handshake(
        _ ssl: OpaquePointer, socket: Int32, host: String, port: Int, deadline: ContinuousClock.Instant, interrupt: TCPConnection.Interrupt
    ) throws {
        while true {
            let result = SSL_connect(ssl)
            if result == 1 { return }
            let error = SSL_get_error(ssl, result)
            let events: Int16
            switch error {
            case SSL_ERROR_WANT_READ: events = Int16(POLLIN)
            case SSL_ERROR_WANT_WRITE: events = Int16(POLLOUT)
            default:
                let verify = SSL_get_verify_result(ssl)
                if verify != X509_V_OK {
                    throw IRCTransportError.certificate(String(cString: X509_verify_cert_error_string(verify)))
                }
                let detail = lastError()
                throw IRCTransportError.tls(detail.isEmpty ? "the server closed the connection" : detail)
            }
            switch TCPConnection.wait(socket, for: events, until: deadline, interrupt: interrupt) {
            case .ready: continue
            case .timedOut: throw IRCTransportError.timeout(host: host, port: port, step: "the TLS handshake")
            case .interrupted: throw IRCTransportError.cancelled
            }
        }
    }

    /// The SHA-256 of the server certificate's DER, as lowercase hex.
    static func fingerprint(_ ssl: OpaquePointer) throws -> String {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { throw IRCTransportError.certificate("the server sent no certificate") }
        defer { X509_free(certificate) }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { throw IRCTransportError.tls(lastError()) }
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func normalised(_ fingerprint: String) -> String {
        fingerprint.lowercased().filter { $0.isHexDigit }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        parley_ssl_last_error(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
