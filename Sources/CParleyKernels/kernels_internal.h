// What the kernel files share and the public header does not show: the x86 target attributes,
// the small AVX2 helpers, and the per-type kernels the dispatch tables in kernels.c point to.
#ifndef PARLEY_KERNELS_INTERNAL_H
#define PARLEY_KERNELS_INTERNAL_H

#include "parley_kernels.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define PK_X86 1
#include <immintrin.h>
#endif

float pk_dot_q5_0_portable(const pk_block_q5_0 *w, const pk_act_q8 *x, size_t n);
float pk_dot_q4_K_portable(const void *w, const pk_act_q8_K *x, size_t n);
float pk_dot_q5_K_portable(const void *w, const pk_act_q8_K *x, size_t n);
float pk_dot_q6_K_portable(const void *w, const pk_act_q8_K *x, size_t n);

/// The float steps of one K-quant super-block for one row, the same in every implementation:
/// isum = Σ sub-scale · Σ q·x and imin = Σ min · Σ x are exact integers; d and dmin the block's
/// super-scales; dx the activation super-block's scale.
static inline float pk_k_super_block(float acc, int isum, int imin, float d, float dmin, float dx) {
    acc = fmaf((float)isum, d * dx, acc);
    return fmaf((float)imin, dmin * -dx, acc);
}

/// The 6-bit scale and min of sub-block j (0..<8) of a Q4_K or Q5_K block's 12 packed bytes: the
/// first four are the low 6 bits of bytes j and j + 4; the last four keep their low 4 bits in
/// byte j + 4 (scale low nibble, min high nibble) and their top 2 bits in the top of bytes j − 4
/// and j.
static inline void pk_scale_min_k4(int j, const uint8_t *q, int *scale, int *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/// The 6-bit quant of element e (0..<256) of a Q6_K block, 0..63.
static inline int pk_q6_K_quant(const pk_block_q6_K *p, int e) {
    const int half = e / 128, i = e % 128, quarter = i / 32, l = i % 32;
    const uint8_t *ql = p->ql + 64 * half;
    const uint8_t *qh = p->qh + 32 * half;
    const int low = quarter & 1 ? ql[l + 32] : ql[l];
    const int nibble = quarter < 2 ? low & 0x0f : low >> 4;
    return nibble | ((qh[l] >> (2 * quarter)) & 3) << 4;
}

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

/// 0xFF in byte i where bit i of `bits` is set, else 0.
PK_AVX2 static inline __m256i pk_bytes_from_bits_avx2(uint32_t bits) {
    // Byte i first takes byte i / 8 of bits; OR-ing every bit but bit (i % 8) leaves all ones
    // exactly when that bit was set.
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32((int)bits),
        _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i others = _mm256_set1_epi64x((long long)0x7fbfdfeff7fbfdfeULL);
    return _mm256_cmpeq_epi8(_mm256_or_si256(spread, others), _mm256_set1_epi8(-1));
}

PK_AVX2 float pk_dot_q5_0_avx2(const pk_block_q5_0 *w, const pk_act_q8 *x, size_t n);
PK_AVX2 float pk_dot_q4_K_avx2(const void *w, const pk_act_q8_K *x, size_t n);
PK_AVX2 float pk_dot_q5_K_avx2(const void *w, const pk_act_q8_K *x, size_t n);
PK_AVX2 float pk_dot_q6_K_avx2(const void *w, const pk_act_q8_K *x, size_t n);

/// A packed matrix-matrix product over groups [group_begin, group_end): each group's rows meet
/// the activations `big` tokens at a time, then 4, 2 and 1 (several conversations decoding
/// together make small batches), through `tile_fn(group blocks, blocks
/// per row, x, x_stride, tile, y, y_stride)`, whose tile is a constant at each call so that its
/// accumulators stay in registers.
#define PK_DEFINE_TILED_MATMUL(name, attr, block, act, per_block, tile_fn, big)                          \
    attr static void name(const block *w, size_t n, const act *x, size_t x_stride, size_t batch, float *y, \
                          size_t y_stride, size_t group_begin, size_t group_end) {                        \
        const size_t nb = n / (per_block);                                                                \
        for (size_t g = group_begin; g < group_end; g++) {                                                \
            const block *wg = w + g * nb;                                                                 \
            size_t t = 0;                                                                                 \
            for (; t + (big) <= batch; t += (big)) tile_fn(wg, nb, x + t * x_stride, x_stride, (big), y + t * y_stride + g * 8, y_stride); \
            for (; t + 4 <= batch; t += 4) tile_fn(wg, nb, x + t * x_stride, x_stride, 4, y + t * y_stride + g * 8, y_stride); \
            for (; t + 2 <= batch; t += 2) tile_fn(wg, nb, x + t * x_stride, x_stride, 2, y + t * y_stride + g * 8, y_stride); \
            for (; t < batch; t++) tile_fn(wg, nb, x + t * x_stride, x_stride, 1, y + t * y_stride + g * 8, y_stride); \
        }                                                                                                 \
    }

/// Activation bytes at q, 4 of them, in every 32-bit lane. Read straight from memory: the
/// broadcast then costs a load and no vector port, where one from a general register (what a
/// copy of the block's quads into an int32 array became) takes the port dpbusd needs.
PK_AVX2 static inline __m256i quad_avx2(const int8_t *q) {
    int32_t v;
    memcpy(&v, q, sizeof v);
    return _mm256_set1_epi32(v);
}

/// quad_avx2 in 16 lanes.
PK_VNNI static inline __m512i quad_x16_vnni(const int8_t *q) {
    int32_t v;
    memcpy(&v, q, sizeof v);
    return _mm512_set1_epi32(v);
}

/// The 64 bytes of two groups' blocks (packed rows 0-7 and 8-15) at the same offset: group a's in the low half.
PK_VNNI static inline __m512i pair_load_vnni(const void *a, const void *b) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a)),
                              _mm256_loadu_si256((const __m256i *)b), 1);
}

/// How far ahead of the block in use the small-batch tiles ask for weights, in bytes.
#define PK_PREFETCH_AHEAD 1152

/// Asks for cache lines first .. first + count - 1 of the weights PK_PREFETCH_AHEAD bytes past
/// `a`. At a batch of a few tokens a product streams the weights from memory, and a core with only
/// its demand loads in flight reads them slower than the memory can deliver (measured: Q4_K at
/// one token, two threads, a 1.4 GB matrix, 22.0 -> 25.0 GB/s). The tiles call it below a full
/// batch only: full tiles are bound by their multiplies, and there it cost 13 %.
PK_AVX2 static inline void pk_prefetch_ahead(const void *a, int first, int count) {
    for (int l = first; l < first + count; l++) _mm_prefetch((const char *)a + PK_PREFETCH_AHEAD + 64 * l, _MM_HINT_T0);
}

/// pk_prefetch_ahead for a whole block of `bytes` at `a`: the lines from its start to past its
/// end (one more than its size in lines, since the block need not begin a line).
PK_AVX2 static inline void pk_prefetch_block_ahead(const void *a, size_t bytes) {
    pk_prefetch_ahead(a, 0, ((int)bytes + 127) / 64);
}

/// Two groups' fp16 factors (d or dmin) as 16 floats.
PK_VNNI static inline __m512 pair_fp16_vnni(const uint16_t a[8], const uint16_t b[8]) {
    return _mm512_cvtph_ps(_mm256_set_m128i(_mm_loadu_si128((const __m128i *)b), _mm_loadu_si128((const __m128i *)a)));
}

/// PK_DEFINE_TILED_MATMUL two groups at a time: `pair_fn(group a's blocks, group b's, blocks per
/// row, x, x_stride, tile, y, y_stride)` writes 16 outputs per token; a group left over at the
/// end of the range goes to `single`, a PK_DEFINE_TILED_MATMUL of the same type.
#define PK_DEFINE_PAIRED_TILED_MATMUL(name, attr, block, act, per_block, pair_fn, single, big)             \
    attr static void name(const block *w, size_t n, const act *x, size_t x_stride, size_t batch, float *y, \
                          size_t y_stride, size_t group_begin, size_t group_end) {                        \
        const size_t nb = n / (per_block);                                                                \
        size_t g = group_begin;                                                                           \
        for (; g + 2 <= group_end; g += 2) {                                                              \
            const block *wa = w + g * nb, *wb = wa + nb;                                                  \
            size_t t = 0;                                                                                 \
            for (; t + (big) <= batch; t += (big)) pair_fn(wa, wb, nb, x + t * x_stride, x_stride, (big), y + t * y_stride + g * 8, y_stride); \
            for (; t + 4 <= batch; t += 4) pair_fn(wa, wb, nb, x + t * x_stride, x_stride, 4, y + t * y_stride + g * 8, y_stride); \
            for (; t + 2 <= batch; t += 2) pair_fn(wa, wb, nb, x + t * x_stride, x_stride, 2, y + t * y_stride + g * 8, y_stride); \
            for (; t < batch; t++) pair_fn(wa, wb, nb, x + t * x_stride, x_stride, 1, y + t * y_stride + g * 8, y_stride); \
        }                                                                                                 \
        if (g < group_end) single(w, n, x, x_stride, batch, y, y_stride, g, group_end);                   \
    }

#endif  // PK_X86

// The packed K-quants (packed_kquants.c): pack one group, and multiply groups at a level.
void pk_pack_k_group(int type, const char *rows, size_t row_bytes, size_t super_blocks, void *out);
void pk_packed_k_matmul(int level, int type, const void *w, size_t n, const pk_act_q8_K *x, size_t x_stride,
                        size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end);

#endif
