#include "parley_kernels.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define PK_X86 1
#include <immintrin.h>
#endif

// Weight matrices repacked at load time into groups of 8 rows, interleaved block by block (see
// the layouts in parley_kernels.h). A group's 8 rows are computed together: their integer sums
// are reduced into one vector with a lane per row, so one conversion, one scale multiply and one
// fused multiply-add serve 8 rows, and nothing is reduced horizontally per row at the end.
//
// Every row's result is formed the same way whatever the batch and whatever the implementation:
// per block, the exact integer sum, then acc = fma(float(sum), d_w * d_x, acc), then (Q4_1)
// acc = fma(m_w, s_x, acc), blocks in order. The portable code is the definition.

// Lane order of the rows in a Q4_1 group: the AVX2 reduction of four row pairs yields rows
// 0, 2, 4, 6, 1, 3, 5, 7 (see q4_1x8_sums_avx2), so d and m are stored in that order.
static const int q4_1_lane_row[8] = {0, 2, 4, 6, 1, 3, 5, 7};

size_t pk_packed_size(int type, size_t rows, size_t n) {
    if (rows % PK_PACK_ROWS != 0 || n % PK_QK != 0) return 0;
    const size_t blocks = (rows / PK_PACK_ROWS) * (n / PK_QK);
    switch (type) {
    case 3: return blocks * sizeof(pk_block_q4_1x8);
    case 8: return blocks * sizeof(pk_block_q8_0x8);
    default: return 0;
    }
}

int pk_pack(int type, const void *w, size_t row_bytes, size_t rows, size_t n, void *out) {
    if (pk_packed_size(type, rows, n) == 0) return 0;
    const char *base = (const char *)w;
    const size_t nb = n / PK_QK;
    for (size_t g = 0; g < rows / PK_PACK_ROWS; g++) {
        for (size_t b = 0; b < nb; b++) {
            if (type == 3) {
                pk_block_q4_1x8 *p = (pk_block_q4_1x8 *)out + g * nb + b;
                for (int lane = 0; lane < 8; lane++) {
                    const size_t r = g * 8 + (size_t)q4_1_lane_row[lane];
                    const pk_block_q4_1 *src = (const pk_block_q4_1 *)(base + r * row_bytes) + b;
                    p->d[lane] = src->d;
                    p->m[lane] = src->m;
                }
                for (int k = 0; k < 8; k++) {
                    const pk_block_q4_1 *src = (const pk_block_q4_1 *)(base + (g * 8 + (size_t)k) * row_bytes) + b;
                    memcpy(p->qs[k], src->qs, sizeof src->qs);
                }
            } else {
                pk_block_q8_0x8 *p = (pk_block_q8_0x8 *)out + g * nb + b;
                for (int k = 0; k < 8; k++) {
                    const pk_block_q8_0 *src = (const pk_block_q8_0 *)(base + (g * 8 + (size_t)k) * row_bytes) + b;
                    p->d[k] = src->d;
                    memcpy(p->qs[k], src->qs, sizeof src->qs);
                }
            }
        }
    }
    return 1;
}

// ---------------------------------------------------------------------------------------------
// Portable
// ---------------------------------------------------------------------------------------------

/// Lane `lane` of a group block (row q4_1_lane_row[lane] for Q4_1, row `lane` for Q8_0) against
/// one activation block, added to acc.
static float lane_portable(int type, const void *group_block, int lane, const pk_act_q8 *xb, float acc) {
    int sum = 0;
    if (type == 3) {
        const pk_block_q4_1x8 *p = group_block;
        const int k = q4_1_lane_row[lane];
        for (int j = 0; j < PK_QK / 2; j++) {
            sum += (p->qs[k][j] & 0x0f) * xb->qs[j];
            sum += (p->qs[k][j] >> 4) * xb->qs[j + PK_QK / 2];
        }
        acc = fmaf((float)sum, pk_fp16_to_fp32(p->d[lane]) * xb->d, acc);
        return fmaf(pk_fp16_to_fp32(p->m[lane]), xb->s, acc);
    }
    const pk_block_q8_0x8 *p = group_block;
    for (int j = 0; j < PK_QK; j++) sum += p->qs[lane][j] * xb->qs[j];
    return fmaf((float)sum, pk_fp16_to_fp32(p->d[lane]) * xb->d, acc);
}

static void matmul_x8_portable(int type, const void *w, size_t n, const pk_act_q8 *x, size_t x_stride,
                               size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
    const size_t nb = n / PK_QK;
    const size_t block_bytes = type == 3 ? sizeof(pk_block_q4_1x8) : sizeof(pk_block_q8_0x8);
    for (size_t g = group_begin; g < group_end; g++) {
        for (size_t t = 0; t < batch; t++) {
            const pk_act_q8 *xt = x + t * x_stride;
            float acc[8] = {0};
            for (size_t b = 0; b < nb; b++) {
                const void *p = (const char *)w + (g * nb + b) * block_bytes;
                for (int lane = 0; lane < 8; lane++) acc[lane] = lane_portable(type, p, lane, xt + b, acc[lane]);
            }
            for (int lane = 0; lane < 8; lane++) {
                const size_t row = (size_t)(type == 3 ? q4_1_lane_row[lane] : lane);
                y[t * y_stride + g * 8 + row] = acc[lane];
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// AVX2
// ---------------------------------------------------------------------------------------------

#ifdef PK_X86

#define PK_AVX2 __attribute__((target("avx2,fma,f16c")))

// Tokens computed together against one group's unpacked blocks.
#define PK_TILE 4

/// The 8 int32 block sums of a Q4_1 group with one activation block, lanes in q4_1_lane_row
/// order. lo[k] and hi[k] hold rows 2k and 2k+1: their low nibbles (elements 0..15) and high
/// nibbles (16..31), one row per 128-bit half, so each half meets the same 16 activation bytes.
///
/// The sums stay in int16 as long as they can, since the multiply port is what limits this
/// kernel: a nibble (<= 15) times an activation (|q| <= 127, never -128) is at most 1905, so
/// maddubs lanes (2 products) stay within 3810, the sum of the low and high halves within 7620,
/// and two rounds of pairwise hadd (16 products) within 30480 < 32767. One multiply-add with
/// ones then gives 32 products per int32 lane.
PK_AVX2 static inline __m256i q4_1x8_sums_avx2(const __m256i lo[4], const __m256i hi[4], const pk_act_q8 *xb) {
    const __m256i xlo = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)xb->qs));
    const __m256i xhi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(xb->qs + 16)));
    __m256i p[4];
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        p[k] = _mm256_add_epi16(_mm256_maddubs_epi16(lo[k], xlo), _mm256_maddubs_epi16(hi[k], xhi));
    }
    // Per 128-bit half: hadd(p0, p1) = [r0 x4, r2 x4 | r1 x4, r3 x4], hadd(p2, p3) likewise for rows 4..7,
    // their hadd = [r0 x2, r2 x2, r4 x2, r6 x2 | r1 x2, r3 x2, r5 x2, r7 x2], and madd = [r0 r2 r4 r6 | r1 r3 r5 r7].
    const __m256i q = _mm256_hadd_epi16(_mm256_hadd_epi16(p[0], p[1]), _mm256_hadd_epi16(p[2], p[3]));
    return _mm256_madd_epi16(q, _mm256_set1_epi16(1));
}

/// One group's rows against `tile` consecutive activation rows; `tile` is a constant at each
/// call site, so that the accumulators live in registers.
PK_AVX2 __attribute__((always_inline)) static inline void tile_q4_1x8_avx2(
    const pk_block_q4_1x8 *wg, size_t nb, const pk_act_q8 *x, size_t x_stride, const int tile, float *y, size_t y_stride) {
    const __m256i mask = _mm256_set1_epi8(0x0f);
    __m256 acc[PK_TILE];
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        const pk_block_q4_1x8 *p = wg + b;
        __m256i lo[4], hi[4];
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)p->qs[2 * k]);
            lo[k] = _mm256_and_si256(raw, mask);
            hi[k] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask);
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->d));
        const __m256 m = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->m));
#pragma GCC unroll 4
        for (int t = 0; t < tile; t++) {
            const pk_act_q8 *xb = x + (size_t)t * x_stride + b;
            const __m256i sums = q4_1x8_sums_avx2(lo, hi, xb);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(d, _mm256_set1_ps(xb->d)), acc[t]);
            acc[t] = _mm256_fmadd_ps(m, _mm256_set1_ps(xb->s), acc[t]);
        }
    }
    const __m256i to_rows = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);  // lane order → row order
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) _mm256_storeu_ps(y + (size_t)t * y_stride, _mm256_permutevar8x32_ps(acc[t], to_rows));
}

PK_AVX2 static void matmul_q4_1x8_avx2(const pk_block_q4_1x8 *w, size_t n, const pk_act_q8 *x, size_t x_stride,
                                       size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
    const size_t nb = n / PK_QK;
    for (size_t g = group_begin; g < group_end; g++) {
        const pk_block_q4_1x8 *wg = w + g * nb;
        size_t t = 0;
        for (; t + PK_TILE <= batch; t += PK_TILE) {
            tile_q4_1x8_avx2(wg, nb, x + t * x_stride, x_stride, PK_TILE, y + t * y_stride + g * 8, y_stride);
        }
        for (; t < batch; t++) tile_q4_1x8_avx2(wg, nb, x + t * x_stride, x_stride, 1, y + t * y_stride + g * 8, y_stride);
    }
}

/// The 8 int32 block sums of a Q8_0 group with one activation block, lanes in row order.
/// maddubs needs one unsigned operand: |w| against x carrying w's sign (ggml's trick; weights
/// in [-127, 127], so pairs stay inside int16).
PK_AVX2 static inline __m256i q8_0x8_sums_avx2(const pk_block_q8_0x8 *p, __m256i xq) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i s[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) {
        const __m256i wq = _mm256_loadu_si256((const __m256i *)p->qs[k]);
        s[k] = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq)), ones);
    }
    // hadd(hadd(s0, s1), hadd(s2, s3)) = [r0 r1 r2 r3 (elements 0..15) | r0 r1 r2 r3 (16..31)];
    // the same for rows 4..7; the halves' sums give [r0 .. r7].
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
    const __m256i c = _mm256_hadd_epi32(_mm256_hadd_epi32(s[4], s[5]), _mm256_hadd_epi32(s[6], s[7]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, c, 0x20), _mm256_permute2x128_si256(a, c, 0x31));
}

PK_AVX2 static void matmul_q8_0x8_avx2(const pk_block_q8_0x8 *w, size_t n, const pk_act_q8 *x, size_t x_stride,
                                       size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
    const size_t nb = n / PK_QK;
    for (size_t g = group_begin; g < group_end; g++) {
        const pk_block_q8_0x8 *wg = w + g * nb;
        for (size_t t = 0; t < batch; t++) {
            const pk_act_q8 *xt = x + t * x_stride;
            __m256 acc = _mm256_setzero_ps();
            for (size_t b = 0; b < nb; b++) {
                const __m256i sums = q8_0x8_sums_avx2(wg + b, _mm256_loadu_si256((const __m256i *)xt[b].qs));
                const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)wg[b].d));
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(d, _mm256_set1_ps(xt[b].d)), acc);
            }
            _mm256_storeu_ps(y + t * y_stride + g * 8, acc);
        }
    }
}

#endif  // PK_X86

void pk_packed_matmul_at(int level, int type, const void *w, size_t n, const pk_act_q8 *x, size_t x_stride,
                         size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
#ifdef PK_X86
    if (level >= 1 && pk_max_implementation() >= 1) {
        if (type == 3) matmul_q4_1x8_avx2(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        if (type == 8) matmul_q8_0x8_avx2(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        return;
    }
#endif
    if (type == 3 || type == 8) matmul_x8_portable(type, w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
}

void pk_packed_matmul(int type, const void *w, size_t n, const pk_act_q8 *x, size_t x_stride,
                      size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
    pk_packed_matmul_at(pk_implementation(), type, w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
}
