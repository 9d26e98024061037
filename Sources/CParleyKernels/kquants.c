#include "kernels_internal.h"
#include <math.h>
#include <string.h>

// Dot products of Q5_0 rows and of K-quant rows (Q4_K, Q5_K, Q6_K) with Parley's activation
// blocks. The activations stay quantised per 32 (finer than ggml's Q8_K, which has one scale per
// 256), so a K-quant super-block meets eight activation blocks, one per 32-value sub-block.
//
// Per sub-block the weight side is an exact integer: Σ q·x times the sub-block's integer scale
// (Q6_K: its two 16-value scales). Floats enter only as (d · d_x) · that integer, and for Q4_K and
// Q5_K as − dmin·min·s_x, the activation block's scaled sum. The portable code is the definition;
// the AVX2 code forms the same integers and sums the floats in another order.

// ---------------------------------------------------------------------------------------------
// Layouts and the scale unpacking every version shares
// ---------------------------------------------------------------------------------------------

/// The 6-bit scale and min of sub-block j (0..<8) of a Q4_K or Q5_K block's 12 packed bytes: the
/// first four are the low 6 bits of bytes j and j + 4; the last four keep their low 4 bits in
/// byte j + 4 (scale low nibble, min high nibble) and their top 2 bits in the top of bytes j − 4
/// and j.
static inline void scale_min_k4(int j, const uint8_t *q, int *scale, int *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

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

/// Q4_K (bits 4, qh NULL) and Q5_K (bits 5): sub-block s of a block takes the low nibbles of
/// qs[32·(s/2) ..] when s is even, the high ones when odd, and (Q5_K) bit s of qh[l] as the fifth.
static float dot_k4_portable(const uint8_t *block, size_t block_bytes, int five, const pk_act_q8 *x, size_t n) {
    float sum = 0.0f;
    for (size_t b = 0; b < n / PK_QK_K; b++) {
        const uint8_t *p = block + b * block_bytes;
        float d, dmin;
        super_scales_k4(p, &d, &dmin);
        const uint8_t *scales = p + 4;
        const uint8_t *qh = five ? p + 16 : NULL;
        const uint8_t *qs = p + (five ? 48 : 16);
        for (int s = 0; s < 8; s++) {
            const pk_act_q8 *xs = x + b * 8 + s;
            int scale, min;
            scale_min_k4(s, scales, &scale, &min);
            int sumi = 0;
            for (int l = 0; l < 32; l++) {
                const uint8_t byte = qs[32 * (s / 2) + l];
                int q = (s & 1) ? byte >> 4 : byte & 0x0f;
                if (qh) q |= ((qh[l] >> s) & 1) << 4;
                sumi += q * xs->qs[l];
            }
            sum += d * xs->d * (float)(scale * sumi);
            sum -= dmin * (float)min * xs->s;
        }
    }
    return sum;
}

float pk_dot_q4_K_portable(const void *w, const pk_act_q8 *x, size_t n) {
    return dot_k4_portable(w, sizeof(pk_block_q4_K), 0, x, n);
}

float pk_dot_q5_K_portable(const void *w, const pk_act_q8 *x, size_t n) {
    return dot_k4_portable(w, sizeof(pk_block_q5_K), 1, x, n);
}

/// The 6-bit quant of element e (0..<256) of a Q6_K block, 0..63.
static inline int q6_K_quant(const pk_block_q6_K *p, int e) {
    const int half = e / 128, i = e % 128, quarter = i / 32, l = i % 32;
    const uint8_t *ql = p->ql + 64 * half;
    const uint8_t *qh = p->qh + 32 * half;
    const int low = quarter & 1 ? ql[l + 32] : ql[l];
    const int nibble = quarter < 2 ? low & 0x0f : low >> 4;
    return nibble | ((qh[l] >> (2 * quarter)) & 3) << 4;
}

float pk_dot_q6_K_portable(const void *w, const pk_act_q8 *x, size_t n) {
    const pk_block_q6_K *blocks = w;
    float sum = 0.0f;
    for (size_t b = 0; b < n / PK_QK_K; b++) {
        const pk_block_q6_K *p = blocks + b;
        const float d = pk_fp16_to_fp32(p->d);
        for (int s = 0; s < 8; s++) {
            const pk_act_q8 *xs = x + b * 8 + s;
            int sumi = 0;
            for (int h = 0; h < 2; h++) {
                int part = 0;
                for (int l = 16 * h; l < 16 * h + 16; l++) part += (q6_K_quant(p, 32 * s + l) - 32) * xs->qs[l];
                sumi += p->scales[2 * s + h] * part;
            }
            sum += d * xs->d * (float)sumi;
        }
    }
    return sum;
}

// ---------------------------------------------------------------------------------------------
// AVX2 (also used at the VNNI level: these products are bound by unpacking, not multiplying)
// ---------------------------------------------------------------------------------------------

#ifdef PK_X86

/// 0xFF in byte i where bit i of `bits` is set, else 0.
PK_AVX2 static inline __m256i bytes_from_bits_avx2(uint32_t bits) {
    // Byte i first takes byte i / 8 of bits; OR-ing every bit but bit (i % 8) leaves all ones
    // exactly when that bit was set.
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32((int)bits),
        _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i others = _mm256_set1_epi64x((long long)0x7fbfdfeff7fbfdfeULL);
    return _mm256_cmpeq_epi8(_mm256_or_si256(spread, others), _mm256_set1_epi8(-1));
}

PK_AVX2 float pk_dot_q5_0_avx2(const pk_block_q5_0 *w, const pk_act_q8 *x, size_t n) {
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    const __m256i sixteen = _mm256_set1_epi8(16);
    for (size_t b = 0; b < n / PK_QK; b++) {
        uint32_t qh;
        memcpy(&qh, w[b].qh, sizeof qh);
        // The fifth bit clear means q − 16 < 0: subtracting 16 where it is clear gives q − 16.
        const __m256i missing = _mm256_andnot_si256(bytes_from_bits_avx2(qh), sixteen);
        const __m256i wq = _mm256_sub_epi8(pk_nibbles_avx2(w[b].qs), missing);
        const __m256i xq = _mm256_loadu_si256((const __m256i *)x[b].qs);
        const __m256i p = pk_dot_u8s8_avx2(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq));
        acc[b & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(w[b].d) * x[b].d), acc[b & 1]);
    }
    return pk_hsum_avx2(_mm256_add_ps(acc[0], acc[1]));
}

PK_AVX2 static inline float dot_k4_avx2(const uint8_t *block, size_t block_bytes, int five, const pk_act_q8 *x, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    const __m256i mask = _mm256_set1_epi8(0x0f);
    const __m256i one = _mm256_set1_epi8(1);
    for (size_t b = 0; b < n / PK_QK_K; b++) {
        const uint8_t *p = block + b * block_bytes;
        float d, dmin;
        super_scales_k4(p, &d, &dmin);
        const uint8_t *qs = p + (five ? 48 : 16);
        const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)(p + 16)) : _mm256_setzero_si256();
        const pk_act_q8 *xb = x + b * 8;
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
                scale_min_k4(s, p + 4, &scale, &min);
                const __m256i sums = pk_dot_u8s8_avx2(q[h], _mm256_loadu_si256((const __m256i *)xb[s].qs));
                const __m256i scaled = _mm256_mullo_epi32(sums, _mm256_set1_epi32(scale));
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(scaled), _mm256_set1_ps(d * xb[s].d), acc);
                mins += dmin * (float)min * xb[s].s;
            }
        }
    }
    return pk_hsum_avx2(acc) - mins;
}

PK_AVX2 float pk_dot_q4_K_avx2(const void *w, const pk_act_q8 *x, size_t n) {
    return dot_k4_avx2(w, sizeof(pk_block_q4_K), 0, x, n);
}

PK_AVX2 float pk_dot_q5_K_avx2(const void *w, const pk_act_q8 *x, size_t n) {
    return dot_k4_avx2(w, sizeof(pk_block_q5_K), 1, x, n);
}

PK_AVX2 float pk_dot_q6_K_avx2(const void *w, const pk_act_q8 *x, size_t n) {
    const pk_block_q6_K *blocks = w;
    __m256 acc = _mm256_setzero_ps();
    const __m256i mask = _mm256_set1_epi8(0x0f);
    const __m256i three = _mm256_set1_epi8(3);
    const __m256i thirty_two = _mm256_set1_epi8(32);
    for (size_t b = 0; b < n / PK_QK_K; b++) {
        const pk_block_q6_K *p = blocks + b;
        const float d = _cvtsh_ss(p->d);
        const pk_act_q8 *xb = x + b * 8;
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
                const __m256i xq = _mm256_loadu_si256((const __m256i *)xb[s].qs);
                // Σ (q − 32)·x in int16 pairs: each maddubs pair is within ±16002, so is their difference.
                const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(q, xq), _mm256_maddubs_epi16(thirty_two, xq));
                // Pairs 0..7 are elements 0..15 (the first scale), 8..15 the next 16.
                const __m256i scales = _mm256_setr_m128i(
                    _mm_set1_epi16(p->scales[2 * s]), _mm_set1_epi16(p->scales[2 * s + 1]));
                const __m256i sums = _mm256_madd_epi16(pairs, scales);
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_set1_ps(d * xb[s].d), acc);
            }
        }
    }
    return pk_hsum_avx2(acc);
}

#endif  // PK_X86
