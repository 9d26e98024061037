#include "parley_openssl_shims.h"
#include <openssl/err.h>
#include <string.h>

int parley_ssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

int parley_ssl_set_sni(SSL *ssl, const char *host) {
    return (int)SSL_set_tlsext_host_name(ssl, host);
}

void parley_ssl_set_modes(SSL *ssl) {
    SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

void parley_ssl_last_error(char *buf, size_t size) {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (size == 0) return;
    if (code == 0) {
        buf[0] = '\0';
        return;
    }
    ERR_error_string_n(code, buf, size);
}
