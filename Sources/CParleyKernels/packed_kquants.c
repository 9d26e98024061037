#include "kernels_internal.h"
#include <string.h>

// Q4_K and Q6_K matrices repacked at load time into groups of 8 rows (pk_block_q4_Kx8,
// pk_block_q6_Kx8): the sub-blocks' quants as quads (4 bytes of each row side by side), the
// scales unpacked to one byte per row and sub-block. A quad meets a broadcast 4-byte group of
// activations, so the 8 rows' integer sums land in 8 lanes in row order with no reduction; the
// unpacking is done once per group super-block for a tile of tokens.
//
// Each row's result is the row-by-row kernels' (kquants.c) bit for bit: the same exact integers
// per super-block and the same float steps (pk_k_super_block), super-blocks in order.

/// Nibble e (0..<32) of sub-block s of a Q4_K block's quants.
static inline int q4_K_nibble(const pk_block_q4_K *src, int s, int e) {
    const uint8_t byte = src->qs[32 * (s / 2) + e];
    return s & 1 ? byte >> 4 : byte & 0x0f;
}

static void pack_q4_K(pk_block_q4_Kx8 *p, int k, const pk_block_q4_K *src) {
    p->d[k] = src->d;
    p->dmin[k] = src->dmin;
    for (int s = 0; s < 8; s++) {
        int scale, min;
        pk_scale_min_k4(s, src->scales, &scale, &min);
        p->scales[s][k] = (uint8_t)scale;
        p->mins[s][k] = (uint8_t)min;
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < 4; i++) {
                p->quads[s][j][4 * k + i] =
                    (uint8_t)(q4_K_nibble(src, s, 4 * j + i) | q4_K_nibble(src, s, 16 + 4 * j + i) << 4);
            }
        }
    }
}

static void pack_q6_K(pk_block_q6_Kx8 *p, int k, const pk_block_q6_K *src) {
    p->d[k] = src->d;
    for (int g = 0; g < 16; g++) p->scales[g][k] = src->scales[g];
    for (int s = 0; s < 8; s++) {
        for (int j = 0; j < 4; j++) {
            for (int i = 0; i < 4; i++) {
                const int lo = pk_q6_K_quant(src, 32 * s + 4 * j + i), hi = pk_q6_K_quant(src, 32 * s + 16 + 4 * j + i);
                const int byte = 4 * k + i;
                p->sub[s].low[j][byte] = (uint8_t)(lo | (hi >> 4) << 6);
                p->sub[s].nibbles[j / 2][byte] |= (uint8_t)((hi & 0x0f) << (4 * (j & 1)));
            }
        }
    }
}

void pk_pack_k_group(int type, const char *rows, size_t row_bytes, size_t super_blocks, void *out) {
    for (size_t b = 0; b < super_blocks; b++) {
        for (int k = 0; k < 8; k++) {
            const char *row = rows + (size_t)k * row_bytes;
            if (type == 12) pack_q4_K((pk_block_q4_Kx8 *)out + b, k, (const pk_block_q4_K *)row + b);
            else pack_q6_K((pk_block_q6_Kx8 *)out + b, k, (const pk_block_q6_K *)row + b);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Portable: each row read back from the packed layout, by the definition
// ---------------------------------------------------------------------------------------------

static float row_q4_Kx8_portable(const pk_block_q4_Kx8 *wg, size_t nsb, int k, const pk_act_q8_K *x) {
    float acc = 0.0f;
    for (size_t b = 0; b < nsb; b++) {
        const pk_block_q4_Kx8 *p = wg + b;
        int isum = 0, imin = 0;
        for (int s = 0; s < 8; s++) {
            int sum = 0;
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < 4; i++) {
                    const uint8_t byte = p->quads[s][j][4 * k + i];
                    sum += (byte & 0x0f) * x[b].qs[32 * s + 4 * j + i] + (byte >> 4) * x[b].qs[32 * s + 16 + 4 * j + i];
                }
            }
            isum += p->scales[s][k] * sum;
            imin += p->mins[s][k] * (x[b].bsums[2 * s] + x[b].bsums[2 * s + 1]);
        }
        acc = pk_k_super_block(acc, isum, imin, pk_fp16_to_fp32(p->d[k]), pk_fp16_to_fp32(p->dmin[k]), x[b].d);
    }
    return acc;
}

static float row_q6_Kx8_portable(const pk_block_q6_Kx8 *wg, size_t nsb, int k, const pk_act_q8_K *x) {
    float acc = 0.0f;
    for (size_t b = 0; b < nsb; b++) {
        const pk_block_q6_Kx8 *p = wg + b;
        int isum = 0;
        for (int s = 0; s < 8; s++) {
            int sum_lo = 0, sum_hi = 0;  // the sub-block's first and second 16 values
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < 4; i++) {
                    const int byte = 4 * k + i;
                    const uint8_t low = p->sub[s].low[j][byte];
                    const int lo = low & 63, hi = (low >> 6) << 4 | ((p->sub[s].nibbles[j / 2][byte] >> (4 * (j & 1))) & 0x0f);
                    sum_lo += (lo - 32) * x[b].qs[32 * s + 4 * j + i];
                    sum_hi += (hi - 32) * x[b].qs[32 * s + 16 + 4 * j + i];
                }
            }
            isum += p->scales[2 * s][k] * sum_lo + p->scales[2 * s + 1][k] * sum_hi;
        }
        acc = pk_k_super_block(acc, isum, 0, pk_fp16_to_fp32(p->d[k]), 0.0f, x[b].d);
    }
    return acc;
}

static void matmul_kx8_portable(int type, const void *w, size_t n, const pk_act_q8_K *x, size_t x_stride,
                                size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
    const size_t nsb = n / PK_QK_K;
    for (size_t g = group_begin; g < group_end; g++) {
        for (size_t t = 0; t < batch; t++) {
            for (int k = 0; k < 8; k++) {
                y[t * y_stride + g * 8 + (size_t)k] = type == 12
                    ? row_q4_Kx8_portable((const pk_block_q4_Kx8 *)w + g * nsb, nsb, k, x + t * x_stride)
                    : row_q6_Kx8_portable((const pk_block_q6_Kx8 *)w + g * nsb, nsb, k, x + t * x_stride);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// AVX2
// ---------------------------------------------------------------------------------------------

#ifdef PK_X86

#define PK_K_TILE 4

/// 16 int16 lanes, two per row, both holding row r's byte v[r] (unsigned, or signed for Q6_K).
PK_AVX2 static inline __m256i per_row_u16_avx2(const uint8_t v[8]) {
    const __m128i b = _mm_loadl_epi64((const __m128i *)v);
    return _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(b, b));
}

PK_AVX2 static inline __m256i per_row_i16_avx2(const int8_t v[8]) {
    const __m128i b = _mm_loadl_epi64((const __m128i *)v);
    return _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(b, b));
}

/// The exact Σ over 16ths of v[r][16th] · bsums[16th], per row lane, where v is given per pair of
/// sixteenths as 16 int16 lanes (row r: the pair's two values): one madd per pair.
PK_AVX2 static inline __m256i bsums_product_avx2(const __m256i pairs[8], const pk_act_q8_K *x) {
    __m256i sum = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        int32_t two;
        memcpy(&two, x->bsums + 2 * j, sizeof two);
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs[j], _mm256_set1_epi32(two)));
    }
    return sum;
}

/// The 6-bit quants of quad j of a Q6_K sub-block: its low elements' (lo) and high elements' (hi)
/// bytes, 0..63.
PK_AVX2 static inline void q6_K_quad_avx2(const pk_q6_K_sub_block *sub, int j, __m256i *lo, __m256i *hi) {
    const __m256i mask = _mm256_set1_epi8(0x0f);
    const __m256i low = _mm256_loadu_si256((const __m256i *)sub->low[j]);
    const __m256i nibbles = _mm256_loadu_si256((const __m256i *)sub->nibbles[j / 2]);
    *lo = _mm256_and_si256(low, _mm256_set1_epi8(0x3f));
    *hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(low, 2), _mm256_set1_epi8(0x30)),
                          _mm256_and_si256(j & 1 ? _mm256_srli_epi16(nibbles, 4) : nibbles, mask));
}

/// A Q6_K group's scales per pair of sixteenths, as 16 int16 lanes (row r: the pair's two).
PK_AVX2 static inline void q6_K_scale_pairs_avx2(const pk_block_q6_Kx8 *p, __m256i pairs[8]) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        const __m128i a = _mm_loadl_epi64((const __m128i *)p->scales[2 * j]);
        const __m128i c = _mm_loadl_epi64((const __m128i *)p->scales[2 * j + 1]);
        pairs[j] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(a, c));
    }
}

/// A Q4_K group's 8 rows against `tile` activation rows. Per sub-block, the int16 lanes of the
/// four quads' products hold 16 products each (within 16·15·127 = 30480), then one madd with the
/// rows' scales gives int32.
PK_AVX2 __attribute__((always_inline)) static inline void tile_q4_Kx8_avx2(
    const pk_block_q4_Kx8 *wg, size_t nsb, const pk_act_q8_K *x, size_t x_stride, const int tile, float *y, size_t y_stride) {
    const __m256i mask = _mm256_set1_epi8(0x0f);
    __m256 acc[PK_K_TILE];
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++) {
        const pk_block_q4_Kx8 *p = wg + b;
        __m256i isum[PK_K_TILE], imin[PK_K_TILE];
#pragma GCC unroll 4
        for (int t = 0; t < tile; t++) isum[t] = _mm256_setzero_si256();
        for (int s = 0; s < 8; s++) {
            if (tile < PK_K_TILE) pk_prefetch_ahead(p, 3 * s, 3);
            __m256i sum16[PK_K_TILE];
#pragma GCC unroll 4
            for (int t = 0; t < tile; t++) sum16[t] = _mm256_setzero_si256();
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                const __m256i raw = _mm256_loadu_si256((const __m256i *)p->quads[s][j]);
                const __m256i lo = _mm256_and_si256(raw, mask), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask);
#pragma GCC unroll 4
                for (int t = 0; t < tile; t++) {
                    const int8_t *xq = x[(size_t)t * x_stride + b].qs + 32 * s + 4 * j;
                    sum16[t] = _mm256_add_epi16(sum16[t], _mm256_add_epi16(_mm256_maddubs_epi16(lo, quad_avx2(xq)),
                                                                           _mm256_maddubs_epi16(hi, quad_avx2(xq + 16))));
                }
            }
            const __m256i scale = per_row_u16_avx2(p->scales[s]);
#pragma GCC unroll 4
            for (int t = 0; t < tile; t++) isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(sum16[t], scale));
        }
        // Each min applies to both sixteenths of its sub-block.
        __m256i mins[8];
#pragma GCC unroll 8
        for (int s = 0; s < 8; s++) mins[s] = per_row_u16_avx2(p->mins[s]);
#pragma GCC unroll 4
        for (int t = 0; t < tile; t++) imin[t] = bsums_product_avx2(mins, x + (size_t)t * x_stride + b);
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->d));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->dmin));
#pragma GCC unroll 4
        for (int t = 0; t < tile; t++) {
            const float dx = x[(size_t)t * x_stride + b].d;
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(d, _mm256_set1_ps(dx)), acc[t]);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(imin[t]), _mm256_mul_ps(dmin, _mm256_set1_ps(-dx)), acc[t]);
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) _mm256_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

/// A Q6_K group's 8 rows against `tile` activation rows. The quants go in unsigned (0..63) and
/// 32 · Σ scale · bsum comes off per super-block. A maddubs lane is within 2·63·127 = 16002, so
/// two quads' products sum in int16 before the madd with the sixteenth's scales.
PK_AVX2 __attribute__((always_inline)) static inline void tile_q6_Kx8_avx2(
    const pk_block_q6_Kx8 *wg, size_t nsb, const pk_act_q8_K *x, size_t x_stride, const int tile, float *y, size_t y_stride) {
    __m256 acc[PK_K_TILE];
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++) {
        const pk_block_q6_Kx8 *p = wg + b;
        __m256i isum[PK_K_TILE];
#pragma GCC unroll 4
        for (int t = 0; t < tile; t++) isum[t] = _mm256_setzero_si256();
        for (int s = 0; s < 8; s++) {
            if (tile < PK_K_TILE) pk_prefetch_ahead(p, 4 * s, 4);
            const __m256i scale_lo = per_row_i16_avx2(p->scales[2 * s]), scale_hi = per_row_i16_avx2(p->scales[2 * s + 1]);
#pragma GCC unroll 2
            for (int half = 0; half < 2; half++) {
                __m256i sum_lo[PK_K_TILE], sum_hi[PK_K_TILE];
#pragma GCC unroll 4
                for (int t = 0; t < tile; t++) sum_lo[t] = sum_hi[t] = _mm256_setzero_si256();
#pragma GCC unroll 2
                for (int j = 2 * half; j < 2 * half + 2; j++) {
                    __m256i lo, hi;
                    q6_K_quad_avx2(&p->sub[s], j, &lo, &hi);
#pragma GCC unroll 4
                    for (int t = 0; t < tile; t++) {
                        const int8_t *xq = x[(size_t)t * x_stride + b].qs + 32 * s + 4 * j;
                        sum_lo[t] = _mm256_add_epi16(sum_lo[t], _mm256_maddubs_epi16(lo, quad_avx2(xq)));
                        sum_hi[t] = _mm256_add_epi16(sum_hi[t], _mm256_maddubs_epi16(hi, quad_avx2(xq + 16)));
                    }
                }
#pragma GCC unroll 4
                for (int t = 0; t < tile; t++) {
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_madd_epi16(sum_lo[t], scale_lo),
                                                                         _mm256_madd_epi16(sum_hi[t], scale_hi)));
                }
            }
        }
        // The offset: 32 · Σ scale · bsum, the two sixteenths of a pair in one madd.
        __m256i pairs[8];
        q6_K_scale_pairs_avx2(p, pairs);
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->d));
#pragma GCC unroll 4
        for (int t = 0; t < tile; t++) {
            const pk_act_q8_K *xb = x + (size_t)t * x_stride + b;
            const __m256i offset = _mm256_slli_epi32(bsums_product_avx2(pairs, xb), 5);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(isum[t], offset)),
                                     _mm256_mul_ps(d, _mm256_set1_ps(xb->d)), acc[t]);
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < tile; t++) _mm256_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

// The VNNI level: dpbusd sums each sub-block's (or sixteenth's) u8·s8 products straight into
// int32 lanes, one multiply by the rows' scales follows (in float for Q4_K's 16-row tiles, exactly
// as the integer one); 8 tokens per tile in 32 registers. The integers are the AVX2 ones, so the
// bits are too.
#define PK_K_TILE_VNNI 8

/// bsums_product_avx2 with vpdpwssd: each pair of sixteenths' two int16 products summed into
/// the int32 lanes in one instruction (the sums broadcast straight from memory), where AVX2
/// needs a broadcast, a madd and an add. Exact, as the AVX2 one.
PK_VNNI static inline __m256i bsums_product_vnni(const __m256i pairs[8], const pk_act_q8_K *x) {
    // Two chains, so that a lone token's product does not wait out eight dpwssd in a row.
    __m256i sums[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        int32_t two;
        memcpy(&two, x->bsums + 2 * j, sizeof two);
        sums[j & 1] = _mm256_dpwssd_epi32(sums[j & 1], pairs[j], _mm256_set1_epi32(two));
    }
    return _mm256_add_epi32(sums[0], sums[1]);
}

PK_VNNI __attribute__((always_inline)) static inline void tile_q4_Kx8_vnni(
    const pk_block_q4_Kx8 *wg, size_t nsb, const pk_act_q8_K *x, size_t x_stride, const int tile, float *y, size_t y_stride) {
    const __m256i mask = _mm256_set1_epi8(0x0f);
    __m256 acc[PK_K_TILE_VNNI];
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++) {
        const pk_block_q4_Kx8 *p = wg + b;
        __m256i isum[PK_K_TILE_VNNI];
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) isum[t] = _mm256_setzero_si256();
        for (int s = 0; s < 8; s++) {
            if (tile < PK_K_TILE_VNNI) pk_prefetch_ahead(p, 3 * s, 3);
            // Below a full tile, the high nibbles in a chain of their own (as in tile_q5_0x8_vnni).
            __m256i sum[PK_K_TILE_VNNI], odd[PK_K_TILE_VNNI];
#pragma GCC unroll 8
            for (int t = 0; t < tile; t++) sum[t] = odd[t] = _mm256_setzero_si256();
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                const __m256i raw = _mm256_loadu_si256((const __m256i *)p->quads[s][j]);
                const __m256i lo = _mm256_and_si256(raw, mask), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), mask);
#pragma GCC unroll 8
                for (int t = 0; t < tile; t++) {
                    const int8_t *xq = x[(size_t)t * x_stride + b].qs + 32 * s + 4 * j;
                    sum[t] = _mm256_dpbusd_epi32(sum[t], lo, quad_avx2(xq));
                    if (tile < PK_K_TILE_VNNI) odd[t] = _mm256_dpbusd_epi32(odd[t], hi, quad_avx2(xq + 16));
                    else sum[t] = _mm256_dpbusd_epi32(sum[t], hi, quad_avx2(xq + 16));
                }
            }
#pragma GCC unroll 8
            for (int t = 0; t < tile; t++) if (tile < PK_K_TILE_VNNI) sum[t] = _mm256_add_epi32(sum[t], odd[t]);
            const __m256i scale = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p->scales[s]));
#pragma GCC unroll 8
            for (int t = 0; t < tile; t++) isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(sum[t], scale));
        }
        __m256i mins[8];
#pragma GCC unroll 8
        for (int s = 0; s < 8; s++) mins[s] = per_row_u16_avx2(p->mins[s]);
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->d));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->dmin));
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) {
            const pk_act_q8_K *xb = x + (size_t)t * x_stride + b;
            const __m256i imin = bsums_product_vnni(mins, xb);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(d, _mm256_set1_ps(xb->d)), acc[t]);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(imin), _mm256_mul_ps(dmin, _mm256_set1_ps(-xb->d)), acc[t]);
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) _mm256_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

PK_VNNI __attribute__((always_inline)) static inline void tile_q6_Kx8_vnni(
    const pk_block_q6_Kx8 *wg, size_t nsb, const pk_act_q8_K *x, size_t x_stride, const int tile, float *y, size_t y_stride) {
    __m256 acc[PK_K_TILE_VNNI];
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++) {
        const pk_block_q6_Kx8 *p = wg + b;
        __m256i isum[PK_K_TILE_VNNI];
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) isum[t] = _mm256_setzero_si256();
        for (int s = 0; s < 8; s++) {
            if (tile < PK_K_TILE_VNNI) pk_prefetch_ahead(p, 4 * s, 4);
            __m256i sum_lo[PK_K_TILE_VNNI], sum_hi[PK_K_TILE_VNNI];
#pragma GCC unroll 8
            for (int t = 0; t < tile; t++) sum_lo[t] = sum_hi[t] = _mm256_setzero_si256();
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                __m256i lo, hi;
                q6_K_quad_avx2(&p->sub[s], j, &lo, &hi);
#pragma GCC unroll 8
                for (int t = 0; t < tile; t++) {
                    const int8_t *xq = x[(size_t)t * x_stride + b].qs + 32 * s + 4 * j;
                    sum_lo[t] = _mm256_dpbusd_epi32(sum_lo[t], lo, quad_avx2(xq));
                    sum_hi[t] = _mm256_dpbusd_epi32(sum_hi[t], hi, quad_avx2(xq + 16));
                }
            }
            const __m256i scale_lo = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p->scales[2 * s]));
            const __m256i scale_hi = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p->scales[2 * s + 1]));
#pragma GCC unroll 8
            for (int t = 0; t < tile; t++) {
                isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_mullo_epi32(sum_lo[t], scale_lo),
                                                                     _mm256_mullo_epi32(sum_hi[t], scale_hi)));
            }
        }
        __m256i pairs[8];
        q6_K_scale_pairs_avx2(p, pairs);
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p->d));
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) {
            const pk_act_q8_K *xb = x + (size_t)t * x_stride + b;
            const __m256i offset = _mm256_slli_epi32(bsums_product_vnni(pairs, xb), 5);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(isum[t], offset)),
                                     _mm256_mul_ps(d, _mm256_set1_ps(xb->d)), acc[t]);
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) _mm256_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

// Two groups at a time: 16 rows in 512-bit registers, the second group's bytes inserted above the
// first's. Where a 512-bit dpbusd costs what a 256-bit one does (two per cycle on Intel's server
// cores) this halves the multiplies' issue; where it is split in two (AMD Zen 4) it still halves
// the instructions. The lanes are the 256-bit tiles' rows, so the bits are too.

/// Two groups' 8 bytes (one per row) as 16 int32 lanes, unsigned.
PK_VNNI static inline __m512i pair_rows_u32_vnni(const uint8_t a[8], const uint8_t b[8]) {
    return _mm512_cvtepu8_epi32(_mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)a), _mm_loadl_epi64((const __m128i *)b)));
}

/// Two groups' 8 bytes as 32 int16 lanes, two per row, both holding the row's byte.
PK_VNNI static inline __m512i pair_rows_u16_vnni(const uint8_t a[8], const uint8_t b[8]) {
    const __m128i v = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)a), _mm_loadl_epi64((const __m128i *)b));
    return _mm512_cvtepu8_epi16(_mm256_set_m128i(_mm_unpackhi_epi8(v, v), _mm_unpacklo_epi8(v, v)));
}

/// bsums_product_vnni for 16 rows.
PK_VNNI static inline __m512i bsums_product_x16_vnni(const __m512i pairs[8], const pk_act_q8_K *x) {
    __m512i sums[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        int32_t two;
        memcpy(&two, x->bsums + 2 * j, sizeof two);
        sums[j & 1] = _mm512_dpwssd_epi32(sums[j & 1], pairs[j], _mm512_set1_epi32(two));
    }
    return _mm512_add_epi32(sums[0], sums[1]);
}

/// Every token's quad j of sub-block s (its 4 bytes at 32s + 4j, and 16 further on) against the
/// low and high elements' bytes: into lo_sums[t] and hi_sums[t], which may be the same array.
PK_VNNI __attribute__((always_inline)) static inline void quads_x16_vnni(
    __m512i lo, __m512i hi, const pk_act_q8_K *x, size_t x_stride, size_t b, int s, int j, const int tile,
    __m512i *lo_sums, __m512i *hi_sums) {
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) {
        const int8_t *xq = x[(size_t)t * x_stride + b].qs + 32 * s + 4 * j;
        lo_sums[t] = _mm512_dpbusd_epi32(lo_sums[t], lo, quad_x16_vnni(xq));
        hi_sums[t] = _mm512_dpbusd_epi32(hi_sums[t], hi, quad_x16_vnni(xq + 16));
    }
}

/// Sub-block s of a Q4_K group pair against `tile` tokens: each token's exact integer sums,
/// times the rows' scales, added into `sums` in float. The products are within
/// 32 · 15 · 128 · 63 < 2^22, so four sub-blocks' sums are exact integers in float.
PK_VNNI __attribute__((always_inline)) static inline void sub_block_q4_Kx16_vnni(
    const pk_block_q4_Kx8 *p, const pk_block_q4_Kx8 *q, const pk_act_q8_K *x, size_t x_stride, size_t b, int s,
    const int tile, __m512 *sums) {
    const __m512i mask = _mm512_set1_epi8(0x0f);
    // A block pair is 2 x 18 cache lines: three of each group's per sub-block.
    if (tile < PK_K_TILE_VNNI) {
        pk_prefetch_ahead(p, 3 * s, 3);
        pk_prefetch_ahead(q, 3 * s, 3);
    }
    __m512i sum[PK_K_TILE_VNNI], odd[PK_K_TILE_VNNI];
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) sum[t] = odd[t] = _mm512_setzero_si512();
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        const __m512i raw = pair_load_vnni(p->quads[s][j], q->quads[s][j]);
        const __m512i lo = _mm512_and_si512(raw, mask), hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), mask);
        quads_x16_vnni(lo, hi, x, x_stride, b, s, j, tile, sum, tile < PK_K_TILE_VNNI ? odd : sum);
    }
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) if (tile < PK_K_TILE_VNNI) sum[t] = _mm512_add_epi32(sum[t], odd[t]);
    const __m512 scale = _mm512_cvtepi32_ps(pair_rows_u32_vnni(p->scales[s], q->scales[s]));
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) sums[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[t]), scale, sums[t]);
}

/// The scales apply in float, off the integer multiplier (vpmulld is two uops on the ports the
/// dot products need): each half super-block's sum is an exact integer below 2^24, and adding the
/// two rounds their exact sum once, as the integer kernels' conversion does, so the bits are
/// theirs.
PK_VNNI __attribute__((always_inline)) static inline void tile_q4_Kx16_vnni(
    const pk_block_q4_Kx8 *wa, const pk_block_q4_Kx8 *wb, size_t nsb, const pk_act_q8_K *x, size_t x_stride,
    const int tile, float *y, size_t y_stride) {
    __m512 acc[PK_K_TILE_VNNI];
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) acc[t] = _mm512_setzero_ps();
    for (size_t b = 0; b < nsb; b++) {
        const pk_block_q4_Kx8 *p = wa + b, *q = wb + b;
        __m512 first[PK_K_TILE_VNNI], second[PK_K_TILE_VNNI];
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) first[t] = second[t] = _mm512_setzero_ps();
        for (int s = 0; s < 4; s++) sub_block_q4_Kx16_vnni(p, q, x, x_stride, b, s, tile, first);
        for (int s = 4; s < 8; s++) sub_block_q4_Kx16_vnni(p, q, x, x_stride, b, s, tile, second);
        __m512i mins[8];
#pragma GCC unroll 8
        for (int s = 0; s < 8; s++) mins[s] = pair_rows_u16_vnni(p->mins[s], q->mins[s]);
        const __m512 d = pair_fp16_vnni(p->d, q->d), dmin = pair_fp16_vnni(p->dmin, q->dmin);
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) {
            const pk_act_q8_K *xb = x + (size_t)t * x_stride + b;
            const __m512i imin = bsums_product_x16_vnni(mins, xb);
            acc[t] = _mm512_fmadd_ps(_mm512_add_ps(first[t], second[t]), _mm512_mul_ps(d, _mm512_set1_ps(xb->d)), acc[t]);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(imin), _mm512_mul_ps(dmin, _mm512_set1_ps(-xb->d)), acc[t]);
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) _mm512_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

/// q6_K_quad_avx2 for two groups' sub-blocks.
PK_VNNI static inline void q6_K_quad_x16_vnni(const pk_q6_K_sub_block *a, const pk_q6_K_sub_block *b, int j, __m512i *lo, __m512i *hi) {
    const __m512i low = pair_load_vnni(a->low[j], b->low[j]);
    const __m512i nibbles = pair_load_vnni(a->nibbles[j / 2], b->nibbles[j / 2]);
    *lo = _mm512_and_si512(low, _mm512_set1_epi8(0x3f));
    // (A & C) | B: the top bits moved into place, and the nibble.
    *hi = _mm512_ternarylogic_epi32(_mm512_srli_epi16(low, 2),
                                    _mm512_and_si512(j & 1 ? _mm512_srli_epi16(nibbles, 4) : nibbles, _mm512_set1_epi8(0x0f)),
                                    _mm512_set1_epi8(0x30), 0xEC);
}

/// Two groups' Q6_K scales per pair of sixteenths, as 32 int16 lanes (row r: the pair's two).
PK_VNNI static inline void q6_K_scale_pairs_x16_vnni(const pk_block_q6_Kx8 *p, const pk_block_q6_Kx8 *q, __m512i pairs[8]) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        const __m128i a = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)p->scales[2 * j]), _mm_loadl_epi64((const __m128i *)p->scales[2 * j + 1]));
        const __m128i c = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)q->scales[2 * j]), _mm_loadl_epi64((const __m128i *)q->scales[2 * j + 1]));
        pairs[j] = _mm512_cvtepi8_epi16(_mm256_set_m128i(c, a));
    }
}

/// Two groups' signed per-row bytes as 16 int32 lanes.
PK_VNNI static inline __m512i pair_rows_i32_vnni(const int8_t a[8], const int8_t b[8]) {
    return _mm512_cvtepi8_epi32(_mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)a), _mm_loadl_epi64((const __m128i *)b)));
}

PK_VNNI __attribute__((always_inline)) static inline void tile_q6_Kx16_vnni(
    const pk_block_q6_Kx8 *wa, const pk_block_q6_Kx8 *wb, size_t nsb, const pk_act_q8_K *x, size_t x_stride,
    const int tile, float *y, size_t y_stride) {
    __m512 acc[PK_K_TILE_VNNI];
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) acc[t] = _mm512_setzero_ps();
    for (size_t b = 0; b < nsb; b++) {
        const pk_block_q6_Kx8 *p = wa + b, *q = wb + b;
        __m512i isum[PK_K_TILE_VNNI];
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) isum[t] = _mm512_setzero_si512();
        for (int s = 0; s < 8; s++) {
            // 2 x 26.25 cache lines: four of each group's per sub-block.
            if (tile < PK_K_TILE_VNNI) {
                pk_prefetch_ahead(p, 4 * s, 4);
                pk_prefetch_ahead(q, 4 * s, 4);
            }
            __m512i sum_lo[PK_K_TILE_VNNI], sum_hi[PK_K_TILE_VNNI];
#pragma GCC unroll 8
            for (int t = 0; t < tile; t++) sum_lo[t] = sum_hi[t] = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                __m512i lo, hi;
                q6_K_quad_x16_vnni(&p->sub[s], &q->sub[s], j, &lo, &hi);
                quads_x16_vnni(lo, hi, x, x_stride, b, s, j, tile, sum_lo, sum_hi);
            }
            const __m512i scale_lo = pair_rows_i32_vnni(p->scales[2 * s], q->scales[2 * s]);
            const __m512i scale_hi = pair_rows_i32_vnni(p->scales[2 * s + 1], q->scales[2 * s + 1]);
#pragma GCC unroll 8
            for (int t = 0; t < tile; t++) {
                isum[t] = _mm512_add_epi32(isum[t], _mm512_add_epi32(_mm512_mullo_epi32(sum_lo[t], scale_lo),
                                                                     _mm512_mullo_epi32(sum_hi[t], scale_hi)));
            }
        }
        __m512i pairs[8];
        q6_K_scale_pairs_x16_vnni(p, q, pairs);
        const __m512 d = pair_fp16_vnni(p->d, q->d);
#pragma GCC unroll 8
        for (int t = 0; t < tile; t++) {
            const pk_act_q8_K *xb = x + (size_t)t * x_stride + b;
            const __m512i offset = _mm512_slli_epi32(bsums_product_x16_vnni(pairs, xb), 5);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(isum[t], offset)),
                                     _mm512_mul_ps(d, _mm512_set1_ps(xb->d)), acc[t]);
        }
    }
#pragma GCC unroll 8
    for (int t = 0; t < tile; t++) _mm512_storeu_ps(y + (size_t)t * y_stride, acc[t]);
}

PK_DEFINE_TILED_MATMUL(matmul_q4_Kx8_avx2, PK_AVX2, pk_block_q4_Kx8, pk_act_q8_K, PK_QK_K, tile_q4_Kx8_avx2, PK_K_TILE)
PK_DEFINE_TILED_MATMUL(matmul_q6_Kx8_avx2, PK_AVX2, pk_block_q6_Kx8, pk_act_q8_K, PK_QK_K, tile_q6_Kx8_avx2, PK_K_TILE)

PK_DEFINE_TILED_MATMUL(matmul_q4_Kx8_vnni, PK_VNNI, pk_block_q4_Kx8, pk_act_q8_K, PK_QK_K, tile_q4_Kx8_vnni, PK_K_TILE_VNNI)
PK_DEFINE_PAIRED_TILED_MATMUL(matmul_q4_Kx16_vnni, PK_VNNI, pk_block_q4_Kx8, pk_act_q8_K, PK_QK_K, tile_q4_Kx16_vnni,
                              matmul_q4_Kx8_vnni, PK_K_TILE_VNNI)
PK_DEFINE_TILED_MATMUL(matmul_q6_Kx8_vnni, PK_VNNI, pk_block_q6_Kx8, pk_act_q8_K, PK_QK_K, tile_q6_Kx8_vnni, PK_K_TILE_VNNI)
PK_DEFINE_PAIRED_TILED_MATMUL(matmul_q6_Kx16_vnni, PK_VNNI, pk_block_q6_Kx8, pk_act_q8_K, PK_QK_K, tile_q6_Kx16_vnni,
                              matmul_q6_Kx8_vnni, PK_K_TILE_VNNI)

#endif  // PK_X86

void pk_packed_k_matmul(int level, int type, const void *w, size_t n, const pk_act_q8_K *x, size_t x_stride,
                        size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end) {
#ifdef PK_X86
    if (level >= 3 && pk_max_implementation() >= 3) {
        if (type == 12) matmul_q4_Kx16_vnni(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        else matmul_q6_Kx16_vnni(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        return;
    }
    if (level >= 2 && pk_max_implementation() >= 2) {
        if (type == 12) matmul_q4_Kx8_vnni(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        else matmul_q6_Kx8_vnni(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        return;
    }
    if (level >= 1 && pk_max_implementation() >= 1) {
        if (type == 12) matmul_q4_Kx8_avx2(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        else matmul_q6_Kx8_avx2(w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
        return;
    }
#endif
    matmul_kx8_portable(type, w, n, x, x_stride, batch, y, y_stride, group_begin, group_end);
}
