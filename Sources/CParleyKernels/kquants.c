#include "kernels_internal.h"
#include <math.h>
#include <string.h>

// Dot products of Q5_0 rows with Parley's per-32 activation blocks, and of K-quant rows (Q4_K,
// Q5_K, Q6_K) with activations quantised per 256 (pk_act_q8_K, as ggml's Q8_K, which is what
// llama.cpp multiplies them with, so that logits agree with its to its own rounding).
//
// Per super-block the whole weight side is one exact integer: Σ over sub-blocks of the integer
// sub-scale times Σ q·x, and for Q4_K and Q5_K a second one, Σ min · (the sub-block's activation
// sum, from bsums). Floats enter once per super-block, as
//     acc = fma(float(isum), d · d_x, acc);  acc = fma(float(imin), dmin · −d_x, acc)
// super-blocks in order. The integers are exact in every implementation and the float steps are
// the same, so every level gives the same bits, and so does a row in a packed group.

// ---------------------------------------------------------------------------------------------
// Layouts and the scale unpacking every version shares
// ---------------------------------------------------------------------------------------------

/// The super-block scales d and dmin at the start of a Q4_K or Q5_K block.
static inline void super_scales_k4(const uint8_t *p, float *d, float *dmin) {
    uint16_t dh, mh;
    memcpy(&dh, p, 2);
    memcpy(&mh, p + 2, 2);
    *d = pk_fp16_to_fp32(dh);
    *dmin = pk_fp16_to_fp32(mh);
}

// ---------------------------------------------------------------------------------------------
// Portable
// ---------------------------------------------------------------------------------------------

float pk_dot_q5_0_portable(const pk_block_q5_0 *w, const pk_act_q8 *x, size_t n) {
    float sum = 0.0f;
    for (size_t b = 0; b < n / PK_QK; b++) {
        uint32_t qh;
        memcpy(&qh, w[b].qh, sizeof qh);
        int sumi = 0;
        for (int j = 0; j < PK_QK / 2; j++) {
            const int lo = (w[b].qs[j] & 0x0f) | (int)((qh >> j) & 1) << 4;
            const int hi = (w[b].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
            sumi += (lo - 16) * x[b].qs[j] + (hi - 16) * x[b].qs[j + PK_QK / 2];
        }
        sum += pk_fp16_to_fp32(w[b].d) * x[b].d * (float)sumi;
    }
    return sum;
}

static void quantize_act_q8_K_portable(const float *x, pk_act_q8_K *y, size_t n) {
    for (size_t b = 0; b < n / PK_QK_K; b++, x += PK_QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < PK_QK_K; j++) {
            const float a = fabsf(x[j]);
            if (a > amax) {
                amax = a;
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < PK_QK_K; j++) {
            const int q = (int)nearbyintf(iscale * x[j]);
            y[b].qs[j] = (int8_t)(q < 127 ? q : 127);
        }
        for (int g = 0; g < PK_QK_K / 16; g++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += y[b].qs[16 * g + j];
            y[b].bsums[g] = (int16_t)sum;
        }
        y[b].d = 1.0f / iscale;
    }
}

/// Σ min_s · (activation sum of sub-block s) of a Q4_K or Q5_K super-block.
static inline int k4_mins(const uint8_t *scales, const pk_act_q8_K *x) {
    int imin = 0;
    for (int s = 0; s < 8; s++) {
        int scale, min;
        pk_scale_min_k4(s, scales, &scale, &min);
        imin += min * (x->bsums[2 * s] + x->bsums[2 * s + 1]);
    }
    return imin;
}

/// Q4_K (five 0) and Q5_K (five 1): sub-block s of a block takes the low nibbles of
/// qs[32·(s/2) ..] when s is even, the high ones when odd, and (Q5_K) bit s of qh[l] as the fifth.
static float dot_k4_portable(const uint8_t *block, size_t block_bytes, int five, const pk_act_q8_K *x, size_t n) {
    float acc = 0.0f;
    for (size_t b = 0; b < n / PK_QK_K; b++) {
        const uint8_t *p = block + b * block_bytes;
        float d, dmin;
        super_scales_k4(p, &d, &dmin);
        const uint8_t *scales = p + 4;
        const uint8_t *qh = five ? p + 16 : NULL;
        const uint8_t *qs = p + (five ? 48 : 16);
        int isum = 0;
        for (int s = 0; s < 8; s++) {
            int scale, min;
            pk_scale_min_k4(s, scales, &scale, &min);
            int sumi = 0;
            for (int l = 0; l < 32; l++) {
                const uint8_t byte = qs[32 * (s / 2) + l];
                int q = (s & 1) ? byte >> 4 : byte & 0x0f;
                if (qh) q |= ((qh[l] >> s) & 1) << 4;
                sumi += q * x[b].qs[32 * s + l];
            }
            isum += scale * sumi;
        }
        acc = pk_k_super_block(acc, isum, k4_mins(scales, &x[b]), d, dmin, x[b].d);
    }
    return acc;
}

float pk_dot_q4_K_portable(const void *w, const pk_act_q8_K *x, size_t n) {
    return dot_k4_portable(w, sizeof(pk_block_q4_K), 0, x, n);
}

float pk_dot_q5_K_portable(const void *w, const pk_act_q8_K *x, size_t n) {
    return dot_k4_portable(w, sizeof(pk_block_q5_K), 1, x, n);
}

float pk_dot_q6_K_portable(const void *w, const pk_act_q8_K *x, size_t n) {
    const pk_block_q6_K *blocks = w;
    float acc = 0.0f;
    for (size_t b = 0; b < n / PK_QK_K; b++) {
        const pk_block_q6_K *p = blocks + b;
        int isum = 0;
        for (int g = 0; g < 16; g++) {
            int part = 0;
            for (int l = 16 * g; l < 16 * g + 16; l++) part += (pk_q6_K_quant(p, l) - 32) * x[b].qs[l];
            isum += p->scales[g] * part;
        }
        acc = pk_k_super_block(acc, isum, 0, pk_fp16_to_fp32(p->d), 0.0f, x[b].d);
    }
    return acc;
}

// ---------------------------------------------------------------------------------------------
// AVX2 (also used at the VNNI level: these products are bound by unpacking, not multiplying)
// ---------------------------------------------------------------------------------------------

#ifdef PK_X86

/// As the portable version: the same product iscale·x rounded half to even, clamped at 127.
PK_AVX2 static void quantize_act_q8_K_avx2(const float *x, pk_act_q8_K *y, size_t n) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    for (size_t b = 0; b < n / PK_QK_K; b++, x += PK_QK_K) {
        __m256 amax8 = _mm256_setzero_ps();
        for (int j = 0; j < PK_QK_K; j += 8) amax8 = _mm256_max_ps(amax8, _mm256_andnot_ps(sign_mask, _mm256_loadu_ps(x + j)));
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax8), _mm256_extractf128_ps(amax8, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        const float amax = _mm_cvtss_f32(m);
        if (!(amax > 0.0f)) {
            // Zero, or NaN somewhere: the portable version's comparisons decide.
            quantize_act_q8_K_portable(x, &y[b], PK_QK_K);
            continue;
        }
        float max = 0.0f;
        for (int j = 0; j < PK_QK_K; j++) {
            if (fabsf(x[j]) == amax) {
                max = x[j];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m256 scale = _mm256_set1_ps(iscale);
        const __m256i top = _mm256_set1_epi32(127);
        for (int j = 0; j < PK_QK_K; j += 32) {
            __m256i q[4];
            for (int k = 0; k < 4; k++) {
                const __m256 v = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), scale),
                                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                q[k] = _mm256_min_epi32(_mm256_cvtps_epi32(v), top);
            }
            const __m256i p = _mm256_permutevar8x32_epi32(
                _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3])),
                _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(y[b].qs + j), p);
            // The two sixteenths' sums: bytes widened to int16 and summed in pairs.
            const __m256i wide = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), p), _mm256_set1_epi16(1));
            // wide: 8 int32 lanes of 4 quants each; lanes 0..3 are the first sixteenth.
            __m128i s = _mm_hadd_epi32(_mm256_castsi256_si128(wide), _mm256_extracti128_si256(wide, 1));
            s = _mm_hadd_epi32(s, s);
            y[b].bsums[j / 16] = (int16_t)_mm_cvtsi128_si32(s);
            y[b].bsums[j / 16 + 1] = (int16_t)_mm_extract_epi32(s, 1);
        }
        y[b].d = 1.0f / iscale;
    }
}

PK_AVX2 float pk_dot_q5_0_avx2(const pk_block_q5_0 *w, const pk_act_q8 *x, size_t n) {
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    const __m256i sixteen = _mm256_set1_epi8(16);
    for (size_t b = 0; b < n / PK_QK; b++) {
        uint32_t qh;
        memcpy(&qh, w[b].qh, sizeof qh);
        // The fifth bit clear means q − 16 < 0: subtracting 16 where it is clear gives q − 16.
        const __m256i missing = _mm256_andnot_si256(pk_bytes_from_bits_avx2(qh), sixteen);
        const __m256i wq = _mm256_sub_epi8(pk_nibbles_avx2(w[b].qs), missing);
        const __m256i xq = _mm256_loadu_si256((const __m256i *)x[b].qs);
        const __m256i p = pk_dot_u8s8_avx2(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq));
        acc[b & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(w[b].d) * x[b].d), acc[b & 1]);
    }
    return pk_hsum_avx2(_mm256_add_ps(acc[0], acc[1]));
}

/// The sum of the 8 int32 lanes of v.
PK_AVX2 static inline int hsum_epi32_avx2(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

PK_AVX2 static inline float dot_k4_avx2(const uint8_t *block, size_t block_bytes, int five, const pk_act_q8_K *x, size_t n) {
    float acc = 0.0f;
    const __m256i mask = _mm256_set1_epi8(0x0f);
    const __m256i one = _mm256_set1_epi8(1);
    for (size_t b = 0; b < n / PK_QK_K; b++) {
        const uint8_t *p = block + b * block_bytes;
        float d, dmin;
        super_scales_k4(p, &d, &dmin);
        const uint8_t *qs = p + (five ? 48 : 16);
        const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)(p + 16)) : _mm256_setzero_si256();
        __m256i isum = _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m256i q[2] = {_mm256_and_si256(raw, mask), _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask)};
            for (int h = 0; h < 2; h++) {
                const int s = 2 * c + h;
                if (five) {
                    const __m256i bit = _mm256_and_si256(_mm256_srli_epi16(qh, s), one);
                    q[h] = _mm256_or_si256(q[h], _mm256_slli_epi16(bit, 4));
                }
                int scale, min;
                pk_scale_min_k4(s, p + 4, &scale, &min);
                // maddubs pairs are within 2·31·127, so the int16 lanes are exact.
                const __m256i pairs = _mm256_maddubs_epi16(q[h], _mm256_loadu_si256((const __m256i *)(x[b].qs + 32 * s)));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, _mm256_set1_epi16((short)scale)));
            }
        }
        acc = pk_k_super_block(acc, hsum_epi32_avx2(isum), k4_mins(p + 4, &x[b]), d, dmin, x[b].d);
    }
    return acc;
}

PK_AVX2 float pk_dot_q4_K_avx2(const void *w, const pk_act_q8_K *x, size_t n) {
    return dot_k4_avx2(w, sizeof(pk_block_q4_K), 0, x, n);
}

PK_AVX2 float pk_dot_q5_K_avx2(const void *w, const pk_act_q8_K *x, size_t n) {
    return dot_k4_avx2(w, sizeof(pk_block_q5_K), 1, x, n);
}

PK_AVX2 float pk_dot_q6_K_avx2(const void *w, const pk_act_q8_K *x, size_t n) {
    const pk_block_q6_K *blocks = w;
    float acc = 0.0f;
    const __m256i mask = _mm256_set1_epi8(0x0f);
    const __m256i three = _mm256_set1_epi8(3);
    const __m256i thirty_two = _mm256_set1_epi8(32);
    for (size_t b = 0; b < n / PK_QK_K; b++) {
        const pk_block_q6_K *p = blocks + b;
        __m256i isum = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(p->ql + 64 * half));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(p->ql + 64 * half + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(p->qh + 32 * half));
            const __m256i low[4] = {
                _mm256_and_si256(ql0, mask), _mm256_and_si256(ql1, mask),
                _mm256_and_si256(_mm256_srli_epi16(ql0, 4), mask), _mm256_and_si256(_mm256_srli_epi16(ql1, 4), mask)};
            for (int quarter = 0; quarter < 4; quarter++) {
                const int s = 4 * half + quarter;
                const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * quarter), three);
                const __m256i q = _mm256_or_si256(low[quarter], _mm256_slli_epi16(high, 4));
                const __m256i xq = _mm256_loadu_si256((const __m256i *)(x[b].qs + 32 * s));
                // Σ (q − 32)·x in int16 pairs: each maddubs pair is within ±16002, so is their difference.
                const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(q, xq), _mm256_maddubs_epi16(thirty_two, xq));
                // Pairs 0..7 are elements 0..15 (the first scale), 8..15 the next 16.
                const __m256i scales = _mm256_setr_m128i(
                    _mm_set1_epi16(p->scales[2 * s]), _mm_set1_epi16(p->scales[2 * s + 1]));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, scales));
            }
        }
        acc = pk_k_super_block(acc, hsum_epi32_avx2(isum), 0, _cvtsh_ss(p->d), 0.0f, x[b].d);
    }
    return acc;
}

#endif  // PK_X86

void pk_quantize_act_q8_K_at(int level, const float *x, pk_act_q8_K *y, size_t n) {
#ifdef PK_X86
    if (level >= 1 && pk_max_implementation() >= 1) {
        quantize_act_q8_K_avx2(x, y, n);
        return;
    }
#endif
    quantize_act_q8_K_portable(x, y, n);
}

void pk_quantize_act_q8_K(const float *x, pk_act_q8_K *y, size_t n) {
    pk_quantize_act_q8_K_at(pk_implementation(), x, y, n);
}
