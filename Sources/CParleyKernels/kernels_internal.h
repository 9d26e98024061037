// What the kernel files share and the public header does not show: the x86 target attributes,
// the small AVX2 helpers, and the per-type kernels the dispatch tables in kernels.c point to.
#ifndef PARLEY_KERNELS_INTERNAL_H
#define PARLEY_KERNELS_INTERNAL_H

#include "parley_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define PK_X86 1
#include <immintrin.h>
#endif

float pk_dot_q5_0_portable(const pk_block_q5_0 *w, const pk_act_q8 *x, size_t n);
float pk_dot_q4_K_portable(const void *w, const pk_act_q8 *x, size_t n);
float pk_dot_q5_K_portable(const void *w, const pk_act_q8 *x, size_t n);
float pk_dot_q6_K_portable(const void *w, const pk_act_q8 *x, size_t n);

#ifdef PK_X86

#define PK_AVX2 __attribute__((target("avx2,fma,f16c")))
#define PK_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))

PK_AVX2 static inline float pk_hsum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// The 32 nibbles of a 32-element block as bytes 0..15, in element order (low nibbles, then high).
PK_AVX2 static inline __m256i pk_nibbles_avx2(const uint8_t *qs) {
    const __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_and_si128(raw, mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
    return _mm256_set_m128i(hi, lo);
}

/// Sum of products of unsigned bytes u and signed bytes s, as 8 int32 (lane k: bytes 4k..4k+3).
PK_AVX2 static inline __m256i pk_dot_u8s8_avx2(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

PK_AVX2 float pk_dot_q5_0_avx2(const pk_block_q5_0 *w, const pk_act_q8 *x, size_t n);
PK_AVX2 float pk_dot_q4_K_avx2(const void *w, const pk_act_q8 *x, size_t n);
PK_AVX2 float pk_dot_q5_K_avx2(const void *w, const pk_act_q8 *x, size_t n);
PK_AVX2 float pk_dot_q6_K_avx2(const void *w, const pk_act_q8 *x, size_t n);

#endif  // PK_X86

#endif
