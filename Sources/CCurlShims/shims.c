#include "parley_curl.h"

#include <pthread.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

void pc_global_init(void) { pthread_once(&once, init_once); }

CURLM *pc_multi_new(long per_host) {
    CURLM *multi = curl_multi_init();
    if (multi) curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
    return multi;
}

#define SET(option, value)                                     \
    do {                                                       \
        CURLcode code = curl_easy_setopt(easy, option, value); \
        if (code != CURLE_OK) return code;                     \
    } while (0)

CURLcode pc_easy_setup(CURL *easy, const char *method, const char *url, struct curl_slist *headers,
                       const char *body, size_t body_length, curl_write_callback on_body,
                       curl_write_callback on_header, void *context, char *error_buffer) {
    SET(CURLOPT_ERRORBUFFER, error_buffer);
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    // Through an HTTPS proxy, the proxy's answer to CONNECT is not the response's head.
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    SET(CURLOPT_HTTPHEADER, headers);
    if (strcmp(method, "GET") == 0) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else {
        // A body (possibly empty) sent as is, with its length: never chunked.
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_length : 0));
        SET(CURLOPT_COPYPOSTFIELDS, body ? body : "");
        if (strcmp(method, "POST") != 0) SET(CURLOPT_CUSTOMREQUEST, method);
    }
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, context);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, context);
    return CURLE_OK;
}

CURL *pc_done_handle(const CURLMsg *message, CURLcode *result) {
    if (message->msg != CURLMSG_DONE) return NULL;
    *result = message->data.result;
    return message->easy_handle;
}
