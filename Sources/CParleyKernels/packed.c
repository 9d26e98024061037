#include "kernels_internal.h"
#include <string.h>

// Weight matrices repacked at load time into groups of 8 rows, interleaved block by block (see
// the layouts in parley_kernels.h). A group's 8 rows are computed together: their integer sums
// are reduced into one vector with a lane per row, so one conversion, one scale multiply and one
// fused multiply-add serve 8 rows, and nothing is reduced horizontally per row at the end.
//
// Every row's result is formed the same way whatever the batch and whatever the implementation:
// per block, the exact integer sum, then acc = fma(float(sum), d_w * d_x, acc), then (Q4_1)
// acc = fma(m_w, s_x, acc), blocks in order. The portable code is the definition. (The packed
// K-quants are in packed_kquants.c.)

// Lane order of the rows in a Q4_1 group: the AVX2 reduction of four row pairs yields rows
// 0, 2, 4, 6, 1, 3, 5, 7 (see q4_1x8_sums_avx2), so d and m are stored in that order.
static const int q4_1_lane_row[8] = {0, 2, 4, 6, 1, 3, 5, 7};

size_t pk_packed_size(int type, size_t rows, size_t n) {
    if (rows % PK_PACK_ROWS != 0 || n % PK_QK != 0) return 0;
    const size_t groups = rows / PK_PACK_ROWS;
    switch (type) {
    case 3: return groups * (n / PK_QK) * sizeof(pk_block_q4_1x8);
    case 6: return groups * (n / PK_QK) * sizeof(pk_block_q5_0x8);
    case 8: return groups * (n / PK_QK) * sizeof(pk_block_q8_0x8);
    case 12: return n % PK_QK_K ? 0 : groups * (n / PK_QK_K) * sizeof(pk_block_q4_Kx8);
    case 14: return n % PK_QK_K ? 0 : groups * (n / PK_QK_K) * sizeof(pk_block_q6_Kx8);
    default: return 0;
    }
}

/// Row k's Q5_0 block in group block p (see pk_block_q5_0x8).
static void pack_q5_0(pk_block_q5_0x8 *p, int k, const pk_block_q5_0 *src) {
    uint32_t qh;
    memcpy(&qh, src->qh, sizeof qh);
    p->d[k] = src->d;
    for (int j = 0; j < 4; j++) {
        for (int i = 0; i < 4; i++) {
            const int byte = 4 * k + i;
            p->quads[j][byte] = src->qs[4 * j + i];
            p->qh[j][0] |= ((qh >> (4 * j + i)) & 1u) << byte;
            p->qh[j][1] |= ((qh >> (16 + 4 * j + i)) & 1u) << byte;
        }
    }
}

int pk_pack(int type, const void *w, size_t row_bytes, size_t rows, size_t n, void *out) {
    const size_t size = pk_packed_size(type, rows, n);
    if (size == 0) return 0;
    memset(out, 0, size);
    const char *base = (const char *)w;
    if (type == 12 || type == 14) {
        const size_t group_bytes = size / (rows / PK_PACK_ROWS);
        for (size_t g = 0; g < rows / PK_PACK_ROWS; g++) {
            pk_pack_k_group(type, base + g * 8 * row_bytes, row_bytes, n / PK_QK_K, (char *)out + g * group_bytes);
        }
        return 1;
    }
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
            } else if (type == 6) {
                pk_block_q5_0x8 *p = (pk_block_q5_0x8 *)out + g * nb + b;
                for (int k = 0; k < 8; k++) pack_q5_0(p, k, (const pk_block_q5_0 *)(base + (g * 8 + (size_t)k) * row_bytes) + b);
            } else {
                pk_block_q8_0x8 *p = (pk_block_q8_0x8 *)out + g * nb + b;
                for (int k = 0; k < 8; k++) {
                    const pk_block_q8_0 *src = (const pk_block_q8_0 *)(base + (g * 8 + (size_t)k) * row_bytes) + b;
                    p->d[k] = src->d;
                    for (int j = 0; j < 8; j++) memcpy(&p->quads[j][4 * k], src->qs + 4 * j, 4);
                }
            }
        }
    }
    return 1;
}

// ---------------------------------------------------------------------------------------------
// Portable
// ---------------------------------------------------------------------------------------------

/// Lane `lane` of a group block (row q4_1_lane_row[lane] for Q4_1, row `lane` otherwise) against
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
    if (type == 6) {
        const pk_block_q5_0x8 *p = group_block;
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < 4; i++) {
                const int byte = 4 * lane + i;
                const int lo = (p->quads[j][byte] & 0x0f) | (int)((p->qh[j][0] >> byte) & 1) << 4;
                const int hi = (p->quads[j][byte] >> 4) | (int)((p->qh[j][1] >> byte) & 1) << 4;
                sum += (lo - 16) * xb->qs[4 * j + i] + (hi - 16) * xb->qs[16 + 4 * j + i];
            }
        }
        return fmaf((float)sum, pk_fp16_to_fp32(p->d[lane]) * xb->d, acc);
    }
    const pk_block_q8_0x8 *p = group_block;
    for (int j = 0; j < 8; j++) {
        for (int i = 0; i < 4; i++) sum += p->quads[j][4 * lane + i] * xb->qs[4 * j + i];
    }
    return fmaf((float)sum, pk_fp16_to_fp32(p->d[lane]) * xb->d, acc);
}

static size_t group_block_bytes(int type) {
    return type == 3 ? sizeof(pk_block_q4_1x8) : type == 6 ? sizeof(pk_block_q5_0x8) : sizeof(pk_block_q8_0x8);
}

static void matmul_x8_portable(int type, const void *w, size_t n, const pk_act_q8 *x, size_t x_stride,
                               size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
    const size_t nb = n / PK_QK;
    const size_t block_bytes = group_block_bytes(type);
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
        if (tile < PK_TILE) pk_prefetch_block_ahead(p, sizeof *p);
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

PK_DEFINE_TILED_MATMUL(matmul_q4_1x8_avx2, PK_AVX2, pk_block_q4_1x8, pk_act_q8, PK_QK, tile_q4_1x8_avx2, PK_TILE)

/// A Q8_0 group's rows against `tile` activation rows. maddubs needs one unsigned operand: |w|
/// against x carrying w's sign (|w| <= 128 and |x| <= 127, so a pair stays inside int16), each
/// quad's pairs widened to int32 at once.
PK_AVX2 __attribute__((always_inline)) static inline void tile_q8_0x8_avx2(
    const pk_block_q8_0x8 *wg, size_t nb, const pk_act_q8 *x, size_t x_stride, const int tile, float *y, size_t y_stride) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[PK_TILE];
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        const pk_block_q8_0x8 *p = wg + b;
        if (tile < PK_TILE) pk_prefetch_block_ahead(p, sizeof *p);
        __m256i sums[PK_TILE];
#pragma GCC unroll 4
        for (int t = 0; t < tile; t++) sums[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            const __m256i w = _mm256_loadu_si256((const __m256i *)p->quads[j]);
            const __m256i magnitude = _mm256_sign_epi8(w, w);
#pragma GCC unroll 4
            for (int t = 0; t < tile; t++) {
                int32_t xq;
                memcpy(&xq, x[(size_t)t * x_stride + b].qs + 4 * j, sizeof xq);
                const __m256i signed_x = _mm256_sign_epi8(_mm256_set1_epi32(xq), w);
                sums[t] = _mm256_add_epi32(sums[t], _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, signed_x), ones));
            }
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->d));
#pragma GCC unroll 4
        for (int t = 0; t < tile; t++) {
            const float dx = x[(size_t)t * x_stride + b].d;
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[t]), _mm256_mul_ps(d, _mm256_set1_ps(dx)), acc[t]);
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) _mm256_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

PK_DEFINE_TILED_MATMUL(matmul_q8_0x8_avx2, PK_AVX2, pk_block_q8_0x8, pk_act_q8, PK_QK, tile_q8_0x8_avx2, PK_TILE)

/// One Q5_0 group's rows against `tile` consecutive activation rows. The quads meet broadcast
/// 4-byte groups of activations, so the 8 rows' sums land in lanes in row order with no
/// reduction. The quants go in unsigned (0..31) and 16 · Σx comes off once per block: a maddubs
/// lane is within 2·31·127, four of them within 31496, so each half of the block sums in int16.
PK_AVX2 __attribute__((always_inline)) static inline void tile_q5_0x8_avx2(
    const pk_block_q5_0x8 *wg, size_t nb, const pk_act_q8 *x, size_t x_stride, const int tile, float *y, size_t y_stride) {
    const __m256i mask = _mm256_set1_epi8(0x0f);
    const __m256i fifth = _mm256_set1_epi8(0x10);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[PK_TILE];
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        const pk_block_q5_0x8 *p = wg + b;
        if (tile < PK_TILE) pk_prefetch_block_ahead(p, sizeof *p);
        __m256i lo[4], hi[4];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)p->quads[j]);
            lo[j] = _mm256_or_si256(_mm256_and_si256(raw, mask), _mm256_and_si256(pk_bytes_from_bits_avx2(p->qh[j][0]), fifth));
            hi[j] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), mask),
                                    _mm256_and_si256(pk_bytes_from_bits_avx2(p->qh[j][1]), fifth));
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->d));
#pragma GCC unroll 4
        for (int t = 0; t < tile; t++) {
            const pk_act_q8 *xb = x + (size_t)t * x_stride + b;
            __m256i half[2];
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                const int j = 2 * h;
                half[h] = _mm256_add_epi16(
                    _mm256_add_epi16(_mm256_maddubs_epi16(lo[j], quad_avx2(xb->qs + 4 * j)),
                                     _mm256_maddubs_epi16(hi[j], quad_avx2(xb->qs + 4 * (4 + j)))),
                    _mm256_add_epi16(_mm256_maddubs_epi16(lo[j + 1], quad_avx2(xb->qs + 4 * (j + 1))),
                                     _mm256_maddubs_epi16(hi[j + 1], quad_avx2(xb->qs + 4 * (5 + j)))));
            }
            const __m256i sums = _mm256_sub_epi32(
                _mm256_add_epi32(_mm256_madd_epi16(half[0], ones), _mm256_madd_epi16(half[1], ones)),
                _mm256_set1_epi32(16 * xb->sum));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(d, _mm256_set1_ps(xb->d)), acc[t]);
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) _mm256_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

PK_DEFINE_TILED_MATMUL(matmul_q5_0x8_avx2, PK_AVX2, pk_block_q5_0x8, pk_act_q8, PK_QK, tile_q5_0x8_avx2, PK_TILE)

// Tokens computed together at the VNNI level (32 vector registers).
#define PK_TILE_VNNI 8

/// The same products as tile_q5_0x8_avx2 with AVX-512: the fifth bits go in with one masked add
/// each, and dpbusd sums four u8·s8 products straight into int32 lanes.
PK_VNNI __attribute__((always_inline)) static inline void tile_q5_0x8_vnni(
    const pk_block_q5_0x8 *wg, size_t nb, const pk_act_q8 *x, size_t x_stride, const int tile, float *y, size_t y_stride) {
    const __m256i mask = _mm256_set1_epi8(0x0f);
    const __m256i fifth = _mm256_set1_epi8(0x10);
    __m256 acc[PK_TILE_VNNI];
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        const pk_block_q5_0x8 *p = wg + b;
        if (tile < PK_TILE_VNNI) pk_prefetch_block_ahead(p, sizeof *p);
        __m256i lo[4], hi[4];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)p->quads[j]);
            const __m256i l = _mm256_and_si256(raw, mask), h = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask);
            lo[j] = _mm256_mask_add_epi8(l, (__mmask32)p->qh[j][0], l, fifth);
            hi[j] = _mm256_mask_add_epi8(h, (__mmask32)p->qh[j][1], h, fifth);
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->d));
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) {
            const pk_act_q8 *xb = x + (size_t)t * x_stride + b;
            // Below a full tile, two chains of dpbusd rather than one: too few tokens' chains
            // run side by side to hide each dpbusd's wait for the one before (13 % at one
            // token, 7 % at four); at a full tile the second chain costs more than it hides.
            __m256i sums = _mm256_set1_epi32(-16 * xb->sum), odd = _mm256_setzero_si256();
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                sums = _mm256_dpbusd_epi32(sums, lo[j], quad_avx2(xb->qs + 4 * j));
                if (tile < PK_TILE_VNNI) odd = _mm256_dpbusd_epi32(odd, hi[j], quad_avx2(xb->qs + 4 * (4 + j)));
                else sums = _mm256_dpbusd_epi32(sums, hi[j], quad_avx2(xb->qs + 4 * (4 + j)));
            }
            if (tile < PK_TILE_VNNI) sums = _mm256_add_epi32(sums, odd);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(d, _mm256_set1_ps(xb->d)), acc[t]);
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) _mm256_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

/// The same products as tile_q8_0x8_avx2 with dpbusd: the weights go in unsigned (w + 128, a
/// flipped sign bit) and 128 · Σx comes off once per block.
PK_VNNI __attribute__((always_inline)) static inline void tile_q8_0x8_vnni(
    const pk_block_q8_0x8 *wg, size_t nb, const pk_act_q8 *x, size_t x_stride, const int tile, float *y, size_t y_stride) {
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    __m256 acc[PK_TILE_VNNI];
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        const pk_block_q8_0x8 *p = wg + b;
        if (tile < PK_TILE_VNNI) pk_prefetch_block_ahead(p, sizeof *p);
        __m256i u[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) u[j] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p->quads[j]), flip);
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->d));
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) {
            const pk_act_q8 *xb = x + (size_t)t * x_stride + b;
            __m256i sums = _mm256_set1_epi32(-128 * xb->sum);
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++) sums = _mm256_dpbusd_epi32(sums, u[j], quad_avx2(xb->qs + 4 * j));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(d, _mm256_set1_ps(xb->d)), acc[t]);
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) _mm256_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

// Two groups at a time in 512-bit registers, as the K-quants' tiles (packed_kquants.c): Q5_0 and
// Q8_0 differ only in how a block's 8 quads become unsigned bytes and in the offset that comes off.

/// A group pair's block as 8 registers of unsigned bytes, quad j (elements 4j..4j+3 of each row)
/// in u[j]; returns the offset the bytes carry (16 for Q5_0, 128 for Q8_0).
PK_VNNI __attribute__((always_inline)) static inline int unsigned_quads_x16_vnni(int type, const void *a, const void *b, __m512i u[8]) {
    if (type == 6) {
        const pk_block_q5_0x8 *p = a, *q = b;
        const __m512i mask = _mm512_set1_epi8(0x0f), fifth = _mm512_set1_epi8(0x10);
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m512i raw = pair_load_vnni(p->quads[j], q->quads[j]);
            const __m512i l = _mm512_and_si512(raw, mask), h = _mm512_and_si512(_mm512_srli_epi16(raw, 4), mask);
            u[j] = _mm512_mask_add_epi8(l, p->qh[j][0] | (__mmask64)q->qh[j][0] << 32, l, fifth);
            u[4 + j] = _mm512_mask_add_epi8(h, p->qh[j][1] | (__mmask64)q->qh[j][1] << 32, h, fifth);
        }
        return 16;
    }
    const pk_block_q8_0x8 *p = a, *q = b;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) u[j] = _mm512_xor_si512(pair_load_vnni(p->quads[j], q->quads[j]), flip);
    return 128;
}

/// The Q5_0 and Q8_0 tiles at 512 bits (`type` a constant at each call). Below a full tile, two
/// chains of dpbusd, as in tile_q5_0x8_vnni.
PK_VNNI __attribute__((always_inline)) static inline void tile_b32_x16_vnni(
    int type, const char *wa, const char *wb, size_t block_bytes, size_t nb, const pk_act_q8 *x, size_t x_stride,
    const int tile, float *y, size_t y_stride) {
    __m512 acc[PK_TILE_VNNI];
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) acc[t] = _mm512_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        const char *pa = wa + b * block_bytes, *pb = wb + b * block_bytes;
        if (tile < PK_TILE_VNNI) {
            pk_prefetch_block_ahead(pa, block_bytes);
            pk_prefetch_block_ahead(pb, block_bytes);
        }
        __m512i u[8];
        const int offset = unsigned_quads_x16_vnni(type, pa, pb, u);
        // (Both block types begin with the 8 rows' fp16 d.)
        const __m512 d = pair_fp16_vnni((const uint16_t *)pa, (const uint16_t *)pb);
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) {
            const pk_act_q8 *xb = x + (size_t)t * x_stride + b;
            __m512i sums = _mm512_set1_epi32(-offset * xb->sum), odd = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                sums = _mm512_dpbusd_epi32(sums, u[j], quad_x16_vnni(xb->qs + 4 * j));
                if (tile < PK_TILE_VNNI) odd = _mm512_dpbusd_epi32(odd, u[4 + j], quad_x16_vnni(xb->qs + 4 * (4 + j)));
                else sums = _mm512_dpbusd_epi32(sums, u[4 + j], quad_x16_vnni(xb->qs + 4 * (4 + j)));
            }
            if (tile < PK_TILE_VNNI) sums = _mm512_add_epi32(sums, odd);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(d, _mm512_set1_ps(xb->d)), acc[t]);
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) _mm512_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

PK_VNNI __attribute__((always_inline)) static inline void tile_q5_0x16_vnni(
    const pk_block_q5_0x8 *wa, const pk_block_q5_0x8 *wb, size_t nb, const pk_act_q8 *x, size_t x_stride,
    const int tile, float *y, size_t y_stride) {
    tile_b32_x16_vnni(6, (const char *)wa, (const char *)wb, sizeof *wa, nb, x, x_stride, tile, y, y_stride);
}

PK_VNNI __attribute__((always_inline)) static inline void tile_q8_0x16_vnni(
    const pk_block_q8_0x8 *wa, const pk_block_q8_0x8 *wb, size_t nb, const pk_act_q8 *x, size_t x_stride,
    const int tile, float *y, size_t y_stride) {
    tile_b32_x16_vnni(8, (const char *)wa, (const char *)wb, sizeof *wa, nb, x, x_stride, tile, y, y_stride);
}

PK_DEFINE_TILED_MATMUL(matmul_q8_0x8_vnni, PK_VNNI, pk_block_q8_0x8, pk_act_q8, PK_QK, tile_q8_0x8_vnni, PK_TILE_VNNI)
PK_DEFINE_PAIRED_TILED_MATMUL(matmul_q8_0x16_vnni, PK_VNNI, pk_block_q8_0x8, pk_act_q8, PK_QK, tile_q8_0x16_vnni,
                              matmul_q8_0x8_vnni, PK_TILE_VNNI)
PK_DEFINE_TILED_MATMUL(matmul_q5_0x8_vnni, PK_VNNI, pk_block_q5_0x8, pk_act_q8, PK_QK, tile_q5_0x8_vnni, PK_TILE_VNNI)
PK_DEFINE_PAIRED_TILED_MATMUL(matmul_q5_0x16_vnni, PK_VNNI, pk_block_q5_0x8, pk_act_q8, PK_QK, tile_q5_0x16_vnni,
                              matmul_q5_0x8_vnni, PK_TILE_VNNI)

#endif  // PK_X86

void pk_packed_matmul_at(int level, int type, const void *w, size_t n, const void *x, size_t x_stride,
                         size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
    if (type == 12 || type == 14) {
        pk_packed_k_matmul(level, type, w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        return;
    }
    if (type != 3 && type != 6 && type != 8) return;
#ifdef PK_X86
    if (level >= 3 && pk_max_implementation() >= 3 && type != 3) {
        if (type == 6) matmul_q5_0x16_vnni(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        else matmul_q8_0x16_vnni(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        return;
    }
    if (level >= 2 && pk_max_implementation() >= 2 && type != 3) {
        if (type == 6) matmul_q5_0x8_vnni(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        else matmul_q8_0x8_vnni(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        return;
    }
    if (level >= 1 && pk_max_implementation() >= 1) {
        switch (type) {
        case 3: matmul_q4_1x8_avx2(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end); break;
        case 6: matmul_q5_0x8_avx2(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end); break;
        case 8: matmul_q8_0x8_avx2(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end); break;
        }
        return;
    }
#endif
    matmul_x8_portable(type, w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
}

void pk_packed_matmul(int type, const void *w, size_t n, const void *x, size_t x_stride,
                      size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
    pk_packed_matmul_at(pk_implementation(), type, w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
}
