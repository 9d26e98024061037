#include "kernels_internal.h"
#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static float dot_f32_avx2(const float *a, const float *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    acc0 = _mm256_add_ps(acc0, acc1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float sum = _mm_cvtss_f32(s);
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

#endif

float pk_dot_f32(const float *a, const float *b, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    if (pk_implementation() >= 1) return dot_f32_avx2(a, b, n);
#endif
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,f16c"))) static void fp32_to_fp16_avx2(const float *x, uint16_t *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) y[i] = pk_fp32_to_fp16(x[i]);
}
#endif

void pk_fp32_to_fp16_row(const float *x, uint16_t *y, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    if (pk_implementation() >= 1) {
        fp32_to_fp16_avx2(x, y, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) y[i] = pk_fp32_to_fp16(x[i]);
}

// Reads n bytes (a multiple of 64) as fast as the core can and returns a value that depends on
// all of them, so that the reads cannot be left out: for measuring memory bandwidth. It asks for
// lines ahead as the small-batch products do, so that their share of it is not flattered.
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) static uint64_t read_bytes_avx2(const void *p, size_t n) {
    __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    const char *c = p;
    for (size_t i = 0; i + 128 <= n; i += 128) {
        _mm_prefetch(c + i + PK_PREFETCH_AHEAD, _MM_HINT_T0);
        _mm_prefetch(c + i + PK_PREFETCH_AHEAD + 64, _MM_HINT_T0);
        for (int k = 0; k < 4; k++) acc[k] = _mm256_xor_si256(acc[k], _mm256_load_si256((const __m256i *)(c + i + 32 * k)));
    }
    const __m256i x = _mm256_xor_si256(_mm256_xor_si256(acc[0], acc[1]), _mm256_xor_si256(acc[2], acc[3]));
    return (uint64_t)_mm256_extract_epi64(x, 0) ^ (uint64_t)_mm256_extract_epi64(x, 3);
}
#endif

uint64_t pk_read_bytes(const void *p, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    if (pk_implementation() >= 1) return read_bytes_avx2(p, n);
#endif
    uint64_t acc = 0;
    const uint64_t *w = p;
    for (size_t i = 0; i < n / 8; i++) acc ^= w[i];
    return acc;
}
