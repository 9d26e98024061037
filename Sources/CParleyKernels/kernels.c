#include <stdlib.h>
#include "kernels_internal.h"
#ifdef PK_X86
#include <cpuid.h>
#endif
#include <math.h>
#include <string.h>

// ---------------------------------------------------------------------------------------------
// Portable versions: the definition of every kernel, and what the fast ones are tested against.
// ---------------------------------------------------------------------------------------------

// As ggml's x86 path quantises activations: id = 127 / amax, round half to even, and the
// scale and scaled sum rounded through fp16 (ggml stores them as fp16), so that logits agree
// with llama.cpp's to its own rounding.
static void quantize_act_portable(const float *x, pk_act_q8 *y, size_t n) {
    for (size_t b = 0; b < n / PK_QK; b++) {
        const float *xb = x + b * PK_QK;
        float amax = 0.0f;
        for (int j = 0; j < PK_QK; j++) {
            float a = fabsf(xb[j]);
            if (a > amax) amax = a;
        }
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < PK_QK; j++) {
            int q = (int)nearbyintf(xb[j] * id);
            y[b].qs[j] = (int8_t)q;
            sum += q;
        }
        y[b].d = pk_fp16_to_fp32(pk_fp32_to_fp16(d));
        y[b].s = pk_fp16_to_fp32(pk_fp32_to_fp16(d * (float)sum));
        y[b].sum = sum;
    }
}

static float dot_q4_0_portable(const pk_block_q4_0 *w, const pk_act_q8 *x, size_t n) {
    float sum = 0.0f;
    for (size_t b = 0; b < n / PK_QK; b++) {
        int sumi = 0;
        for (int j = 0; j < PK_QK / 2; j++) {
            sumi += ((w[b].qs[j] & 0x0f) - 8) * x[b].qs[j];
            sumi += ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + PK_QK / 2];
        }
        sum += pk_fp16_to_fp32(w[b].d) * x[b].d * (float)sumi;
    }
    return sum;
}

static float dot_q4_1_portable(const pk_block_q4_1 *w, const pk_act_q8 *x, size_t n) {
    float sum = 0.0f;
    for (size_t b = 0; b < n / PK_QK; b++) {
        int sumi = 0;
        for (int j = 0; j < PK_QK / 2; j++) {
            sumi += (w[b].qs[j] & 0x0f) * x[b].qs[j];
            sumi += (w[b].qs[j] >> 4) * x[b].qs[j + PK_QK / 2];
        }
        sum += pk_fp16_to_fp32(w[b].d) * x[b].d * (float)sumi + pk_fp16_to_fp32(w[b].m) * x[b].s;
    }
    return sum;
}

static float dot_q8_0_portable(const pk_block_q8_0 *w, const pk_act_q8 *x, size_t n) {
    float sum = 0.0f;
    for (size_t b = 0; b < n / PK_QK; b++) {
        int sumi = 0;
        for (int j = 0; j < PK_QK; j++) sumi += w[b].qs[j] * x[b].qs[j];
        sum += pk_fp16_to_fp32(w[b].d) * x[b].d * (float)sumi;
    }
    return sum;
}

// ---------------------------------------------------------------------------------------------
// x86: AVX2 (maddubs + madd) and AVX-512 VNNI (one dpbusd per block), chosen at run time.
// ---------------------------------------------------------------------------------------------

#ifdef PK_X86

PK_AVX2 static inline float half_avx2(uint16_t h) {
    return _cvtsh_ss(h);
}

PK_AVX2 static void quantize_act_avx2(const float *x, pk_act_q8 *y, size_t n) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    for (size_t b = 0; b < n / PK_QK; b++) {
        const float *xb = x + b * PK_QK;
        __m256 v[4];
        __m256 amax = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(xb + 8 * k);
            amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_mask, v[k]));
        }
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        const float amax_s = _mm_cvtss_f32(m);
        const float d = amax_s / 127.0f;
        const float id = amax_s != 0.0f ? 127.0f / amax_s : 0.0f;
        const __m256 scale = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; k++) {
            // Round half to even (the default rounding mode), as ggml's x86 path does.
            q[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[k], scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        }
        __m256i sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        s = _mm_hadd_epi32(s, s);
        s = _mm_hadd_epi32(s, s);
        // Pack 32 int32 to int8 in element order.
        __m256i p01 = _mm256_packs_epi32(q[0], q[1]);
        __m256i p23 = _mm256_packs_epi32(q[2], q[3]);
        __m256i p = _mm256_packs_epi16(p01, p23);
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)y[b].qs, p);
        y[b].d = _cvtsh_ss(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));
        y[b].s = _cvtsh_ss(_cvtss_sh(d * (float)_mm_cvtsi128_si32(s), _MM_FROUND_TO_NEAREST_INT));
        y[b].sum = _mm_cvtsi128_si32(s);
    }
}

PK_AVX2 static float dot_q4_0_avx2(const pk_block_q4_0 *w, const pk_act_q8 *x, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    const __m256i eight = _mm256_set1_epi8(8);
    for (size_t b = 0; b < n / PK_QK; b++) {
        __m256i wq = _mm256_sub_epi8(pk_nibbles_avx2(w[b].qs), eight);
        __m256i xq = _mm256_loadu_si256((const __m256i *)x[b].qs);
        __m256i p = pk_dot_u8s8_avx2(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(half_avx2(w[b].d) * x[b].d), acc);
    }
    return pk_hsum_avx2(acc);
}

PK_AVX2 static float dot_q4_1_avx2(const pk_block_q4_1 *w, const pk_act_q8 *x, size_t n) {
    // Two accumulators, so that consecutive blocks' multiply-adds do not wait on each other.
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float mins = 0.0f;
    const size_t nb = n / PK_QK;
    size_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        __m256i p0 = pk_dot_u8s8_avx2(pk_nibbles_avx2(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        __m256i p1 = pk_dot_u8s8_avx2(pk_nibbles_avx2(w[b + 1].qs), _mm256_loadu_si256((const __m256i *)x[b + 1].qs));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(half_avx2(w[b].d) * x[b].d), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_set1_ps(half_avx2(w[b + 1].d) * x[b + 1].d), acc1);
        mins += half_avx2(w[b].m) * x[b].s;
        mins += half_avx2(w[b + 1].m) * x[b + 1].s;
    }
    for (; b < nb; b++) {
        __m256i p = pk_dot_u8s8_avx2(pk_nibbles_avx2(w[b].qs), _mm256_loadu_si256((const __m256i *)x[b].qs));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(half_avx2(w[b].d) * x[b].d), acc0);
        mins += half_avx2(w[b].m) * x[b].s;
    }
    return pk_hsum_avx2(_mm256_add_ps(acc0, acc1)) + mins;
}

/// Four activation rows against one Q4_1 weight row: each weight block is unpacked once for all
/// four. Per row, the sums are formed exactly as dot_q4_1_avx2 forms them (even and odd blocks in
/// separate accumulators), so a token's result does not depend on the batch it came in.
PK_AVX2 static void dot4_q4_1_avx2(const pk_block_q4_1 *w, const pk_act_q8 *x, size_t x_stride, size_t n, float out[4]) {
    __m256 acc[4][2];
    float mins[4] = {0, 0, 0, 0};
    for (int k = 0; k < 4; k++) acc[k][0] = acc[k][1] = _mm256_setzero_ps();
    const size_t nb = n / PK_QK;
    for (size_t b = 0; b < nb; b++) {
        const __m256i wq = pk_nibbles_avx2(w[b].qs);
        const float dw = half_avx2(w[b].d), mw = half_avx2(w[b].m);
        const size_t parity = b < nb - (nb % 2) ? (b & 1) : 0;
        for (int k = 0; k < 4; k++) {
            const pk_act_q8 *xk = x + k * x_stride + b;
            __m256i p = pk_dot_u8s8_avx2(wq, _mm256_loadu_si256((const __m256i *)xk->qs));
            acc[k][parity] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dw * xk->d), acc[k][parity]);
            mins[k] += mw * xk->s;
        }
    }
    for (int k = 0; k < 4; k++) out[k] = pk_hsum_avx2(_mm256_add_ps(acc[k][0], acc[k][1])) + mins[k];
}

PK_AVX2 static float dot_q8_0_avx2(const pk_block_q8_0 *w, const pk_act_q8 *x, size_t n) {
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (size_t b = 0; b < n / PK_QK; b++) {
        __m256i wq = _mm256_loadu_si256((const __m256i *)w[b].qs);
        __m256i xq = _mm256_loadu_si256((const __m256i *)x[b].qs);
        __m256i p = pk_dot_u8s8_avx2(_mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq));
        acc[b & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(half_avx2(w[b].d) * x[b].d), acc[b & 1]);
    }
    return pk_hsum_avx2(_mm256_add_ps(acc[0], acc[1]));
}

// The VNNI kernels sum exactly as the AVX2 ones do (the integer products are the same: maddubs
// cannot saturate on these ranges; even and odd blocks in separate accumulators, an odd last block
// in the even one; the minimums in block order), so levels 1 and 2 give bit-identical results and a
// token's result never depends on which CPU, or which path (one token or a batch), computed it.
PK_VNNI static float dot_q4_1_vnni(const pk_block_q4_1 *w, const pk_act_q8 *x, size_t n) {
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    float mins = 0.0f;
    const size_t nb = n / PK_QK;
    for (size_t b = 0; b < nb; b++) {
        const size_t parity = b < nb - (nb % 2) ? (b & 1) : 0;
        __m256i xq = _mm256_loadu_si256((const __m256i *)x[b].qs);
        __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), pk_nibbles_avx2(w[b].qs), xq);
        acc[parity] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(w[b].d) * x[b].d), acc[parity]);
        mins += _cvtsh_ss(w[b].m) * x[b].s;
    }
    return pk_hsum_avx2(_mm256_add_ps(acc[0], acc[1])) + mins;
}

PK_VNNI static float dot_q8_0_vnni(const pk_block_q8_0 *w, const pk_act_q8 *x, size_t n) {
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (size_t b = 0; b < n / PK_QK; b++) {
        __m256i wq = _mm256_loadu_si256((const __m256i *)w[b].qs);
        __m256i xq = _mm256_loadu_si256((const __m256i *)x[b].qs);
        __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(wq, wq), _mm256_sign_epi8(xq, wq));
        acc[b & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(_cvtsh_ss(w[b].d) * x[b].d), acc[b & 1]);
    }
    return pk_hsum_avx2(_mm256_add_ps(acc[0], acc[1]));
}

#endif  // PK_X86

// ---------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------

typedef float (*dot_q4_0_fn)(const pk_block_q4_0 *, const pk_act_q8 *, size_t);
typedef float (*dot_q4_1_fn)(const pk_block_q4_1 *, const pk_act_q8 *, size_t);
typedef float (*dot_q5_0_fn)(const pk_block_q5_0 *, const pk_act_q8 *, size_t);
typedef float (*dot_q8_0_fn)(const pk_block_q8_0 *, const pk_act_q8 *, size_t);
typedef float (*dot_k_fn)(const void *, const pk_act_q8_K *, size_t);
typedef void (*quantize_fn)(const float *, pk_act_q8 *, size_t);

typedef struct {
    quantize_fn quantize;
    dot_q4_0_fn q4_0;
    dot_q4_1_fn q4_1;
    dot_q5_0_fn q5_0;
    dot_q8_0_fn q8_0;
    dot_k_fn q4_K, q5_K, q6_K;
} kernel_table;

#define PORTABLE_TABLE                                                                                   \
    {quantize_act_portable, dot_q4_0_portable, dot_q4_1_portable, pk_dot_q5_0_portable, dot_q8_0_portable, \
     pk_dot_q4_K_portable, pk_dot_q5_K_portable, pk_dot_q6_K_portable}

// One table per implementation level; a level the build cannot target repeats the one below.
// (Level 3 differs from level 2 only in the packed products, which choose their tiles by level.)
#define VNNI_TABLE                                                                                   \
    {quantize_act_avx2, dot_q4_0_avx2, dot_q4_1_vnni, pk_dot_q5_0_avx2, dot_q8_0_vnni,                 \
     pk_dot_q4_K_avx2, pk_dot_q5_K_avx2, pk_dot_q6_K_avx2}
static const kernel_table tables[4] = {
    PORTABLE_TABLE,
#ifdef PK_X86
    {quantize_act_avx2, dot_q4_0_avx2, dot_q4_1_avx2, pk_dot_q5_0_avx2, dot_q8_0_avx2,
     pk_dot_q4_K_avx2, pk_dot_q5_K_avx2, pk_dot_q6_K_avx2},
    VNNI_TABLE,
    VNNI_TABLE,
#else
    PORTABLE_TABLE,
    PORTABLE_TABLE,
    PORTABLE_TABLE,
#endif
};

/// One row's dot product with the table's kernel for `type` (NAN for a type without one); x is
/// of the type's activation kind (pk_act_kind).
static inline float dot_row(const kernel_table *t, int type, const void *w, const void *x, size_t n) {
    switch (type) {
    case 2: return t->q4_0(w, x, n);
    case 3: return t->q4_1(w, x, n);
    case 6: return t->q5_0(w, x, n);
    case 8: return t->q8_0(w, x, n);
    case 12: return t->q4_K(w, x, n);
    case 13: return t->q5_K(w, x, n);
    case 14: return t->q6_K(w, x, n);
    default: return NAN;
    }
}

int pk_has_kernel(int type) {
    return type == 2 || type == 3 || type == 6 || type == 8 || type == 12 || type == 13 || type == 14;
}

int pk_act_kind(int type) { return type == 12 || type == 13 || type == 14; }

/// Bytes of one activation block of the kind `type` multiplies.
static inline size_t act_block_bytes(int type) {
    return pk_act_kind(type) ? sizeof(pk_act_q8_K) : sizeof(pk_act_q8);
}

static int detect_level(void) {
#ifdef PK_X86
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    int vnni = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
    if (!vnni) return avx2 ? 1 : 0;
    // Level 3 where a 512-bit multiply issues as fast as a 256-bit one. AMD's family 19h (Zen 4;
    // Zen 3 has no AVX-512) splits it in two halves; Intel's AVX-512 cores and Zen 5 do not.
    unsigned eax, ebx, ecx, edx;
    __cpuid(0, eax, ebx, ecx, edx);
    const int amd = ebx == 0x68747541;  // "Auth"enticAMD
    __cpuid(1, eax, ebx, ecx, edx);
    const unsigned family = ((eax >> 8) & 0xf) + ((eax >> 8 & 0xf) == 0xf ? (eax >> 20) & 0xff : 0);
    return amd && family == 0x19 ? 2 : 3;
#else
    return 0;
#endif
}

// What the CPU supports, read once by the constructor: cpuid traps to the hypervisor in a
// virtual machine, and every product asks.
static int best_level = 0;

static int supported_level(void) { return best_level; }

// The level in force; written once by the constructor (or by pk_force_implementation in a
// benchmark, before any kernel runs), read by every call.
static int current_level = 0;

// PARLEY_KERNEL_LEVEL=0|1|2|3 caps the level for the whole process (tests run every level on any
// machine; an operator can rule out a kernel); never above what the CPU supports.
__attribute__((constructor)) static void pk_init(void) {
    best_level = detect_level();
    current_level = best_level;
    const char *forced = getenv("PARLEY_KERNEL_LEVEL");
    if (forced && forced[0] >= '0' && forced[0] <= '3' && forced[1] == 0 && forced[0] - '0' < current_level) {
        current_level = forced[0] - '0';
    }
}

int pk_implementation(void) { return current_level; }
int pk_max_implementation(void) { return supported_level(); }

int pk_force_implementation(int level) {
    int best = supported_level();
    current_level = level < 0 ? 0 : level > best ? best : level;
    return current_level;
}

static const kernel_table *table_at(int level) {
    int best = supported_level();
    return &tables[level < 0 ? 0 : level > best ? best : level];
}

void pk_quantize_act_q8(const float *x, pk_act_q8 *y, size_t n) { tables[current_level].quantize(x, y, n); }
float pk_dot_q4_0(const pk_block_q4_0 *w, const pk_act_q8 *x, size_t n) { return tables[current_level].q4_0(w, x, n); }
float pk_dot_q4_1(const pk_block_q4_1 *w, const pk_act_q8 *x, size_t n) { return tables[current_level].q4_1(w, x, n); }
float pk_dot_q8_0(const pk_block_q8_0 *w, const pk_act_q8 *x, size_t n) { return tables[current_level].q8_0(w, x, n); }

void pk_quantize_act_q8_at(int level, const float *x, pk_act_q8 *y, size_t n) { table_at(level)->quantize(x, y, n); }

float pk_dot_at(int level, int type, const void *w, const void *x, size_t n) {
    return dot_row(table_at(level), type, w, x, n);
}

void pk_matvec(int type, const void *w, size_t row_bytes, size_t n,
               const void *x, float *y, size_t row_begin, size_t row_end) {
    pk_matvec_at(current_level, type, w, row_bytes, n, x, y, row_begin, row_end);
}

void pk_matvec_at(int level, int type, const void *w, size_t row_bytes, size_t n,
                  const void *x, float *y, size_t row_begin, size_t row_end) {
    const char *base = (const char *)w;
    const kernel_table *t = table_at(level);
    for (size_t r = row_begin; r < row_end; r++) y[r] = dot_row(t, type, base + r * row_bytes, x, n);
}

void pk_matmul(int type, const void *w, size_t row_bytes, size_t n,
               const void *x, size_t x_stride, size_t batch, float *y, size_t y_stride,
               size_t row_begin, size_t row_end) {
    pk_matmul_at(current_level, type, w, row_bytes, n, x, x_stride, batch, y, y_stride, row_begin, row_end);
}

void pk_matmul_at(int level, int type, const void *w, size_t row_bytes, size_t n,
                  const void *x, size_t x_stride, size_t batch, float *y, size_t y_stride,
                  size_t row_begin, size_t row_end) {
    const char *base = (const char *)w;
    const char *xs = (const char *)x;
    const size_t x_bytes = x_stride * act_block_bytes(type);
    const kernel_table *t = table_at(level);
    const int effective = level < 0 ? 0 : level > supported_level() ? supported_level() : level;
    // Tiles of 8 activation rows, so that they stay in L1 while a thread's weight rows stream by.
    for (size_t b0 = 0; b0 < batch; b0 += 8) {
        const size_t b1 = b0 + 8 < batch ? b0 + 8 : batch;
        for (size_t r = row_begin; r < row_end; r++) {
            const void *row = base + r * row_bytes;
            size_t b = b0;
#ifdef PK_X86
            if (type == 3 && effective >= 1) {
                for (; b + 4 <= b1; b += 4) {
                    float out[4];
                    dot4_q4_1_avx2((const pk_block_q4_1 *)row, (const pk_act_q8 *)x + b * x_stride, x_stride, n, out);
                    for (int k = 0; k < 4; k++) y[(b + k) * y_stride + r] = out[k];
                }
            }
#else
            (void)effective;
#endif
            for (; b < b1; b++) y[b * y_stride + r] = dot_row(t, type, row, xs + b * x_bytes, n);
        }
    }
}
