// OpenSSL's macros and variadic calls as functions Swift can call. Every symbol is prefixed
// parley_ssl_.
#ifndef PARLEY_OPENSSL_SHIMS_H
#define PARLEY_OPENSSL_SHIMS_H

#include <openssl/ssl.h>

// SSL_CTX_set_min_proto_version (a macro): 1 on success.
int parley_ssl_ctx_set_min_tls12(SSL_CTX *ctx);
// SSL_set_tlsext_host_name (a macro): SNI. 1 on success.
int parley_ssl_set_sni(SSL *ssl, const char *host);
// SSL_set_mode(ssl, SSL_MODE_AUTO_RETRY | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
void parley_ssl_set_modes(SSL *ssl);
// The earliest queued OpenSSL error as text (or "") into buf; the queue is cleared.
void parley_ssl_last_error(char *buf, size_t size);

#endif
