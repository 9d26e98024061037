#include "kernels_internal.h"
#include <string.h>

// Attention heads over the cached positions (see pk_attend in parley_kernels.h). The portable
// version is the definition; the AVX2 one computes the same thing with its own exp (within 2 ulp
// of expf) and a float sum of the exponentials.

static void attend_portable(const uint16_t *q, const uint16_t *keys, const uint16_t *values, size_t stride,
                            size_t positions, size_t head_size, float scale, float *scores, float *out) {
    float maximum = -INFINITY;
    for (size_t t = 0; t < positions; t++) {
        float s = 0.0f;
        for (size_t i = 0; i < head_size; i++) s += pk_fp16_to_fp32(q[i]) * pk_fp16_to_fp32(keys[t * stride + i]);
        s *= scale;
        scores[t] = s;
        if (s > maximum) maximum = s;
    }
    double sum = 0.0;
    for (size_t t = 0; t < positions; t++) {
        float e = expf(scores[t] - maximum);
        scores[t] = e;
        sum += e;
    }
    const float inverse = (float)(1.0 / sum);
    for (size_t i = 0; i < head_size; i++) out[i] = 0.0f;
    for (size_t t = 0; t < positions; t++) {
        const float weight = pk_fp16_to_fp32(pk_fp32_to_fp16(scores[t] * inverse));
        for (size_t i = 0; i < head_size; i++) out[i] += weight * pk_fp16_to_fp32(values[t * stride + i]);
    }
}

#ifdef PK_X86

/// e^x for x <= 0 (attention scores minus their maximum), 8 at a time: x = n ln2 + r with
/// |r| <= ln2 / 2 (ln2 split in two for an exact reduction), e^r by a degree-6 polynomial
/// (Cephes' expf coefficients), 2^n put into the exponent bits. Below -87.3 the result is 0,
/// as the true value underflows there anyway.
PK_AVX2 static inline __m256 exp_nonpositive_avx2(__m256 x) {
    const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
    const __m256 ln2_hi = _mm256_set1_ps(0.693359375f), ln2_lo = _mm256_set1_ps(-2.12194440e-4f);
    const __m256 lowest = _mm256_set1_ps(-87.3f);
    const __m256 underflow = _mm256_cmp_ps(x, lowest, _CMP_LT_OQ);
    x = _mm256_max_ps(x, lowest);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, ln2_hi, x);
    r = _mm256_fnmadd_ps(n, ln2_lo, r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(bits)));
}

PK_AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// The softmax of `positions` scores in place (their maximum given), each weight rounded to fp16
/// as it will meet the fp16 values, as llama.cpp rounds them.
PK_AVX2 static void softmax_to_fp16_avx2(float *scores, size_t positions, float maximum) {
    const __m256 max8 = _mm256_set1_ps(maximum);
    __m256 sum8 = _mm256_setzero_ps();
    size_t t = 0;
    for (; t + 8 <= positions; t += 8) {
        const __m256 e = exp_nonpositive_avx2(_mm256_sub_ps(_mm256_loadu_ps(scores + t), max8));
        _mm256_storeu_ps(scores + t, e);
        sum8 = _mm256_add_ps(sum8, e);
    }
    float sum = hsum8(sum8);
    for (; t < positions; t++) {
        scores[t] = expf(scores[t] - maximum);
        sum += scores[t];
    }
    const float inverse = 1.0f / sum;
    const __m256 inverse8 = _mm256_set1_ps(inverse);
    for (t = 0; t + 8 <= positions; t += 8) {
        const __m256 weight = _mm256_mul_ps(_mm256_loadu_ps(scores + t), inverse8);
        _mm256_storeu_ps(scores + t, _mm256_cvtph_ps(_mm256_cvtps_ph(weight, _MM_FROUND_TO_NEAREST_INT)));
    }
    for (; t < positions; t++) scores[t] = pk_fp16_to_fp32(pk_fp32_to_fp16(scores[t] * inverse));
}

/// `count` rows of fp16 (`stride` apart) as floats, `head_size` apart in `rows`.
PK_AVX2 static void rows_to_fp32_avx2(const uint16_t *x, size_t stride, size_t count, size_t head_size, float *rows) {
    for (size_t r = 0; r < count; r++) {
        for (size_t i = 0; i < head_size; i += 8) {
            _mm256_storeu_ps(rows + r * head_size + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + r * stride + i))));
        }
    }
}

// Heads of one group taken together, and positions whose values are converted at once.
#define PK_ATTEND_GROUP 8
#define PK_ATTEND_BLOCK 16

/// Eight positions' keys (`stride` apart) as floats for keys_scores_avx2: row k at k · head_size.
PK_AVX2 static void keys_to_fp32_avx2(const uint16_t *keys, size_t stride, size_t head_size, float *block) {
    rows_to_fp32_avx2(keys, stride, 8, head_size, block);
}

/// Eight accumulators' sums as one vector of eight, by a transpose-reduce.
PK_AVX2 __attribute__((always_inline)) static inline __m256 reduce_scores_avx2(const __m256 acc[8]) {
    const __m256 h01 = _mm256_hadd_ps(acc[0], acc[1]), h23 = _mm256_hadd_ps(acc[2], acc[3]);
    const __m256 h45 = _mm256_hadd_ps(acc[4], acc[5]), h67 = _mm256_hadd_ps(acc[6], acc[7]);
    const __m256 a = _mm256_hadd_ps(h01, h23), c = _mm256_hadd_ps(h45, h67);
    return _mm256_add_ps(_mm256_permute2f128_ps(a, c, 0x20), _mm256_permute2f128_ps(a, c, 0x31));
}

/// One head's scores against the eight converted positions, unscaled: a chain of multiply-adds
/// per position over the columns 8 at a time, then the transpose-reduce.
PK_AVX2 static inline __m256 keys_scores_avx2(const float *q, const float *block, size_t head_size) {
    __m256 acc[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) acc[k] = _mm256_setzero_ps();
    for (size_t i = 0; i < head_size; i += 8) {
        const __m256 qv = _mm256_loadu_ps(q + i);
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) acc[k] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(block + (size_t)k * head_size + i), acc[k]);
    }
    return reduce_scores_avx2(acc);
}

/// o[0..<64] += Σ weights[u] · row u of `block`, the positions in order.
PK_AVX2 static inline void values_64_avx2(const float *weights, size_t count, const float *block, size_t head_size, float *o) {
    __m256 acc[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) acc[k] = _mm256_loadu_ps(o + 8 * k);
    for (size_t u = 0; u < count; u++) {
        const __m256 w = _mm256_set1_ps(weights[u]);
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) acc[k] = _mm256_fmadd_ps(w, _mm256_loadu_ps(block + u * head_size + 8 * k), acc[k]);
    }
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) _mm256_storeu_ps(o + 8 * k, acc[k]);
}

/// The largest of eight lanes.
PK_AVX2 static inline float lanes_maximum_avx2(__m256 v) {
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    float maximum = -INFINITY;
    for (int k = 0; k < 8; k++) maximum = lanes[k] > maximum ? lanes[k] : maximum;
    return maximum;
}

/// Up to PK_ATTEND_GROUP heads that share keys and values: each block of keys (8 positions) and
/// of values (16) is converted from fp16 once for all of them. Per head the products and sums are
/// those of one head alone, in the same order, so the bits do not depend on the grouping: eight
/// positions' dot products in flight (each one chain of multiply-adds), the exponentials 8 at a
/// time, the output summed over the positions in order, 64 columns at a time. KEYS, SCORES and
/// VALUES64 are the level's forms of the three inner loops; every level's are these sums in this
/// order, so the levels' bits are the same.
#define PK_DEFINE_ATTEND_GROUP(name, TARGET, KEYS, SCORES, VALUES64)                                                 \
    TARGET static void name(const uint16_t *q, size_t heads, const uint16_t *keys, const uint16_t *values,           \
                            size_t stride, size_t positions, size_t head_size, float scale, float *scores, float *out) { \
        float qf[PK_ATTEND_GROUP * PK_MAX_HEAD_SIZE];                                                                \
        float block[PK_ATTEND_BLOCK * PK_MAX_HEAD_SIZE] __attribute__((aligned(64)));                                \
        rows_to_fp32_avx2(q, head_size, heads, head_size, qf);                                                       \
        __m256 maximum8[PK_ATTEND_GROUP];                                                                            \
        for (size_t h = 0; h < heads; h++) maximum8[h] = _mm256_set1_ps(-INFINITY);                                  \
        size_t t = 0;                                                                                                \
        for (; t + 8 <= positions; t += 8) {                                                                         \
            KEYS(keys + t * stride, stride, head_size, block);                                                       \
            for (size_t h = 0; h < heads; h++) {                                                                     \
                const __m256 sc = _mm256_mul_ps(SCORES(qf + h * head_size, block, head_size), _mm256_set1_ps(scale)); \
                _mm256_storeu_ps(scores + h * positions + t, sc);                                                    \
                maximum8[h] = _mm256_max_ps(maximum8[h], sc);                                                        \
            }                                                                                                        \
        }                                                                                                            \
        float maximum[PK_ATTEND_GROUP];                                                                              \
        for (size_t h = 0; h < heads; h++) maximum[h] = lanes_maximum_avx2(maximum8[h]);                             \
        for (; t < positions; t++) {                                                                                 \
            rows_to_fp32_avx2(keys + t * stride, stride, 1, head_size, block);                                       \
            for (size_t h = 0; h < heads; h++) {                                                                     \
                __m256 acc = _mm256_setzero_ps();                                                                    \
                for (size_t i = 0; i < head_size; i += 8) {                                                          \
                    acc = _mm256_fmadd_ps(_mm256_loadu_ps(qf + h * head_size + i), _mm256_loadu_ps(block + i), acc);  \
                }                                                                                                    \
                const float sc = hsum8(acc) * scale;                                                                 \
                scores[h * positions + t] = sc;                                                                      \
                if (sc > maximum[h]) maximum[h] = sc;                                                                \
            }                                                                                                        \
        }                                                                                                            \
        for (size_t h = 0; h < heads; h++) softmax_to_fp16_avx2(scores + h * positions, positions, maximum[h]);     \
        memset(out, 0, heads * head_size * sizeof(float));                                                           \
        for (size_t t0 = 0; t0 < positions; t0 += PK_ATTEND_BLOCK) {                                                 \
            const size_t count = positions - t0 < PK_ATTEND_BLOCK ? positions - t0 : PK_ATTEND_BLOCK;                \
            rows_to_fp32_avx2(values + t0 * stride, stride, count, head_size, block);                                \
            for (size_t h = 0; h < heads; h++) {                                                                     \
                const float *weights = scores + h * positions + t0;                                                  \
                float *o = out + h * head_size;                                                                      \
                size_t c = 0;                                                                                        \
                for (; c + 64 <= head_size; c += 64) VALUES64(weights, count, block + c, head_size, o + c);         \
                for (; c < head_size; c += 8) {                                                                      \
                    __m256 acc = _mm256_loadu_ps(o + c);                                                             \
                    for (size_t u = 0; u < count; u++) {                                                             \
                        acc = _mm256_fmadd_ps(_mm256_set1_ps(weights[u]), _mm256_loadu_ps(block + u * head_size + c), acc); \
                    }                                                                                                \
                    _mm256_storeu_ps(o + c, acc);                                                                    \
                }                                                                                                    \
            }                                                                                                        \
        }                                                                                                            \
    }

PK_DEFINE_ATTEND_GROUP(attend_group_avx2, PK_AVX2, keys_to_fp32_avx2, keys_scores_avx2, values_64_avx2)

// Level 3: the same sums with twice the lanes. Two positions' keys share a register (position 2m
// in the low half, 2m + 1 in the high one, the query's 8 columns in both), so each lane keeps
// the 256-bit chain it had; the 64 output columns are 4 registers instead of 8.

/// Eight positions' keys as floats, in pairs: for pair m and columns i..<i + 8, position 2m's 8
/// then position 2m + 1's, at (m · head_size + i) · 2.
PK_VNNI static void keys_to_fp32_x16(const uint16_t *keys, size_t stride, size_t head_size, float *block) {
    for (size_t m = 0; m < 4; m++) {
        const uint16_t *even = keys + 2 * m * stride, *odd = even + stride;
        for (size_t i = 0; i < head_size; i += 8) {
            const __m256i halves = _mm256_inserti128_si256(
                _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(even + i))), _mm_loadu_si128((const __m128i *)(odd + i)), 1);
            _mm512_store_ps(block + 2 * (m * head_size + i), _mm512_cvtph_ps(halves));
        }
    }
}

PK_VNNI static inline __m256 keys_scores_x16(const float *q, const float *block, size_t head_size) {
    __m512 acc[4];
#pragma GCC unroll 4
    for (int m = 0; m < 4; m++) acc[m] = _mm512_setzero_ps();
    for (size_t i = 0; i < head_size; i += 8) {
        const __m512 qv = _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_loadu_pd((const double *)(q + i))));
#pragma GCC unroll 4
        for (int m = 0; m < 4; m++) acc[m] = _mm512_fmadd_ps(qv, _mm512_load_ps(block + 2 * ((size_t)m * head_size + i)), acc[m]);
    }
    __m256 halves[8];
#pragma GCC unroll 4
    for (int m = 0; m < 4; m++) {
        halves[2 * m] = _mm512_castps512_ps256(acc[m]);
        halves[2 * m + 1] = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[m]), 1));
    }
    return reduce_scores_avx2(halves);
}

PK_VNNI static inline void values_64_x16(const float *weights, size_t count, const float *block, size_t head_size, float *o) {
    __m512 acc[4];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) acc[k] = _mm512_loadu_ps(o + 16 * k);
    for (size_t u = 0; u < count; u++) {
        const __m512 w = _mm512_set1_ps(weights[u]);
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) acc[k] = _mm512_fmadd_ps(w, _mm512_loadu_ps(block + u * head_size + 16 * k), acc[k]);
    }
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) _mm512_storeu_ps(o + 16 * k, acc[k]);
}

PK_DEFINE_ATTEND_GROUP(attend_group_x16, PK_VNNI, keys_to_fp32_x16, keys_scores_x16, values_64_x16)

#endif  // PK_X86

void pk_attend_heads_at(int level, const uint16_t *q, size_t heads, const uint16_t *keys, const uint16_t *values,
                        size_t stride, size_t positions, size_t head_size, float scale, float *scores, float *out) {
#ifdef PK_X86
    if (level >= 1 && pk_max_implementation() >= 1 && head_size % 8 == 0 && head_size <= PK_MAX_HEAD_SIZE) {
        const int wide = level >= 3 && pk_max_implementation() >= 3;
        for (size_t h = 0; h < heads; h += PK_ATTEND_GROUP) {
            const size_t count = heads - h < PK_ATTEND_GROUP ? heads - h : PK_ATTEND_GROUP;
            (wide ? attend_group_x16 : attend_group_avx2)(q + h * head_size, count, keys, values, stride, positions,
                                                         head_size, scale, scores + h * positions, out + h * head_size);
        }
        return;
    }
#endif
    for (size_t h = 0; h < heads; h++) {
        attend_portable(q + h * head_size, keys, values, stride, positions, head_size, scale, scores + h * positions,
                        out + h * head_size);
    }
}

void pk_attend_heads(const uint16_t *q, size_t heads, const uint16_t *keys, const uint16_t *values, size_t stride,
                     size_t positions, size_t head_size, float scale, float *scores, float *out) {
    pk_attend_heads_at(pk_implementation(), q, heads, keys, values, stride, positions, head_size, scale, scores, out);
}

void pk_attend_at(int level, const uint16_t *q, const uint16_t *keys, const uint16_t *values, size_t stride,
                  size_t positions, size_t head_size, float scale, float *scores, float *out) {
    pk_attend_heads_at(level, q, 1, keys, values, stride, positions, head_size, scale, scores, out);
}

void pk_attend(const uint16_t *q, const uint16_t *keys, const uint16_t *values, size_t stride,
               size_t positions, size_t head_size, float scale, float *scores, float *out) {
    pk_attend_at(pk_implementation(), q, keys, values, stride, positions, head_size, scale, scores, out);
}
