// The system's OpenSSL (libssl-dev), as Parley uses it: TLS for IRC, and the hash, HMAC and
// PBKDF2 primitives for SASL SCRAM-SHA-256.
#ifndef PARLEY_COPENSSL_SHIM_H
#define PARLEY_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/crypto.h>

#endif
