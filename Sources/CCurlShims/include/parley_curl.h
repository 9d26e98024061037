#ifndef PARLEY_CURL_H
#define PARLEY_CURL_H

// Typed wrappers over libcurl's variadic calls (curl_easy_setopt, curl_multi_setopt,
// curl_easy_getinfo), which Swift cannot call, for ParleyHTTP's CurlHTTPClient.

#include <curl/curl.h>
#include <stddef.h>

/// libcurl's global set-up, once per process (thread-safe).
void pc_global_init(void);

/// A multi handle with at most `per_host` connections to one host.
CURLM *pc_multi_new(long per_host);

/// Sets up `easy` for one exchange: method, URL, headers (the caller's until the transfer
/// ends), body (copied; NULL for none), the callbacks for each piece of the body and each header
/// line (libcurl's write-callback contract) with `context`, an error buffer of CURL_ERROR_SIZE
/// bytes. TLS peers and host names are verified (libcurl's default, kept); only http and https,
/// no redirects followed, no signals (threads). CURLE_OK or the first refusal.
CURLcode pc_easy_setup(CURL *easy, const char *method, const char *url, struct curl_slist *headers,
                       const char *body, size_t body_length, curl_write_callback on_body,
                       curl_write_callback on_header, void *context, char *error_buffer);

/// The handle and result of a "done" message; NULL for any other message.
CURL *pc_done_handle(const CURLMsg *message, CURLcode *result);

#endif
