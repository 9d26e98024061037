#include "kernels_internal.h"
#include <pthread.h>

void pk_rms_norm(float *out, const float *x, const float *w, size_t n, float eps) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (size_t i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

/// A gated activation at `level`: its vector path (which returns how many elements it did)
/// where the level and the CPU allow, its portable path for the rest.
static void gated_at(int level, size_t (*vector)(float *, const float *, size_t),
                     void (*portable)(float *, const float *, size_t, size_t), float *gate, const float *up, size_t n) {
    size_t done = 0;
    if (vector != NULL && level >= 1 && pk_max_implementation() >= 1) done = vector(gate, up, n);
    portable(gate, up, done, n);
}

#ifdef PK_X86
#define PK_VECTOR_PATH(function) function
#else
#define PK_VECTOR_PATH(function) NULL
#endif

static void swiglu_portable(float *gate, const float *up, size_t i, size_t n) {
    for (; i < n; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

#ifdef PK_X86

/// 1/k! for k = 10 down to 1, then 1: e^r's Taylor coefficients, highest first.
static const double exp_inverse_factorials[10] = {
    1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1.0};

/// e^x for 4 floats held as doubles, to about 2^-42 relative, so that rounding it to float gives
/// the correctly rounded e^x but for values within 2^-42 of a rounding boundary (libm's expf is
/// itself within 0.502 ulp). x = n ln2 + r, |r| <= ln2 / 2; e^r by its Taylor series to r^10;
/// 2^n put into the exponent bits. x is clamped to [-150, 100], where the float result is already
/// 0 or infinity.
PK_AVX2 static inline __m256d exp_pd_avx2(__m256d x) {
    x = _mm256_min_pd(_mm256_max_pd(x, _mm256_set1_pd(-150.0)), _mm256_set1_pd(100.0));
    const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, _mm256_set1_pd(1.4426950408889634)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(n, _mm256_set1_pd(0.6931471805599453), x);
    r = _mm256_fnmadd_pd(n, _mm256_set1_pd(2.3190468138462996e-17), r);
    __m256d p = _mm256_set1_pd(exp_inverse_factorials[0]);
    for (int k = 1; k < 10; k++) p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(exp_inverse_factorials[k]));
    p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));
    const __m256i exponent = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(n)), _mm256_set1_epi64x(1023));
    return _mm256_mul_pd(p, _mm256_castsi256_pd(_mm256_slli_epi64(exponent, 52)));
}

/// The portable SwiGLU 8 at a time, e^-g from exp_pd_avx2 rounded to float; the rest as there.
/// Returns how many elements it did.
PK_AVX2 static size_t swiglu_avx2(float *gate, const float *up, size_t n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 minus = _mm256_sub_ps(_mm256_setzero_ps(), g);
        const __m128 low = _mm256_cvtpd_ps(exp_pd_avx2(_mm256_cvtps_pd(_mm256_castps256_ps128(minus))));
        const __m128 high = _mm256_cvtpd_ps(exp_pd_avx2(_mm256_cvtps_pd(_mm256_extractf128_ps(minus, 1))));
        const __m256 e = _mm256_set_m128(high, low);
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
    }
    return i;
}

/// exp_pd_avx2 for 8 doubles: the same operations per lane, so the same bits.
PK_VNNI static inline __m512d exp_pd_x16(__m512d x) {
    x = _mm512_min_pd(_mm512_max_pd(x, _mm512_set1_pd(-150.0)), _mm512_set1_pd(100.0));
    const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(1.4426950408889634)),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(0.6931471805599453), x);
    r = _mm512_fnmadd_pd(n, _mm512_set1_pd(2.3190468138462996e-17), r);
    __m512d p = _mm512_set1_pd(exp_inverse_factorials[0]);
    for (int k = 1; k < 10; k++) p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(exp_inverse_factorials[k]));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(1.0));
    const __m512i exponent = _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_cvtpd_epi32(n)), _mm512_set1_epi64(1023));
    return _mm512_mul_pd(p, _mm512_castsi512_pd(_mm512_slli_epi64(exponent, 52)));
}

/// swiglu_avx2 16 at a time, each half's exponentials in one 512-bit register.
PK_VNNI static size_t swiglu_x16(float *gate, const float *up, size_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 g = _mm512_loadu_ps(gate + i);
        const __m512 minus = _mm512_sub_ps(_mm512_setzero_ps(), g);
        const __m256 low = _mm512_cvtpd_ps(exp_pd_x16(_mm512_cvtps_pd(_mm512_castps512_ps256(minus))));
        const __m256 high = _mm512_cvtpd_ps(exp_pd_x16(_mm512_cvtps_pd(
            _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(minus), 1)))));
        const __m512 e = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(low)), _mm256_castps_pd(high), 1));
        _mm512_storeu_ps(gate + i, _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(one, e)), _mm512_loadu_ps(up + i)));
    }
    return i + swiglu_avx2(gate + i, up + i, n - i);
}

#endif  // PK_X86

void pk_swiglu_at(int level, float *gate, const float *up, size_t n) {
    gated_at(level, PK_VECTOR_PATH(level >= 3 && pk_max_implementation() >= 3 ? swiglu_x16 : swiglu_avx2),
             swiglu_portable, gate, up, n);
}

void pk_swiglu(float *gate, const float *up, size_t n) {
    pk_swiglu_at(pk_implementation(), gate, up, n);
}

// ggml's CPU table: GELU (tanh form) of every fp16 input, stored as fp16; filled once, on first use.
// One entry more than there are halves: the vector path gathers 4 bytes at each entry.
static uint16_t gelu_table[(1 << 16) + 1];
static pthread_once_t gelu_table_once = PTHREAD_ONCE_INIT;

static void fill_gelu_table(void) {
    for (uint32_t bits = 0; bits < (1u << 16); bits++) {
        const float h = pk_fp16_to_fp32((uint16_t)bits);
        const float value = 0.5f * h * (1.0f + tanhf(0.79788456080286535587989211986876f * h * (1.0f + 0.044715f * h * h)));
        gelu_table[bits] = pk_fp32_to_fp16(value);
    }
}

static void geglu_portable(float *gate, const float *up, size_t i, size_t n) {
    for (; i < n; i++) {
        const float g = gate[i];
        float gelu;
        if (g <= -10.0f) {
            gelu = 0.0f;
        } else if (g >= 10.0f) {
            gelu = g;
        } else {
            gelu = pk_fp16_to_fp32(gelu_table[pk_fp32_to_fp16(g)]);
        }
        gate[i] = gelu * up[i];
    }
}

#ifdef PK_X86

/// The portable GeGLU 8 at a time: F16C rounds to and from fp16 as pk_fp32_to_fp16 and
/// pk_fp16_to_fp32 do, and a gather reads the table, so the results are the same bits. Returns
/// how many elements it did (the rest take the portable path).
PK_AVX2 static size_t geglu_avx2(float *gate, const float *up, size_t n) {
    const __m256 low = _mm256_set1_ps(-10.0f), high = _mm256_set1_ps(10.0f);
    const __m256i half = _mm256_set1_epi32(0xffff);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256i index = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(g, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        const __m256i entries = _mm256_and_si256(_mm256_i32gather_epi32((const int *)gelu_table, index, 2), half);
        const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(entries, entries), 0x08);
        __m256 gelu = _mm256_cvtph_ps(_mm256_castsi256_si128(packed));
        gelu = _mm256_blendv_ps(gelu, g, _mm256_cmp_ps(g, high, _CMP_GE_OQ));
        gelu = _mm256_andnot_ps(_mm256_cmp_ps(g, low, _CMP_LE_OQ), gelu);
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(gelu, _mm256_loadu_ps(up + i)));
    }
    return i;
}

#endif  // PK_X86

void pk_geglu_at(int level, float *gate, const float *up, size_t n) {
    pthread_once(&gelu_table_once, fill_gelu_table);
    gated_at(level, PK_VECTOR_PATH(geglu_avx2), geglu_portable, gate, up, n);
}

void pk_geglu(float *gate, const float *up, size_t n) {
    pk_geglu_at(pk_implementation(), gate, up, n);
}

void pk_scale(float *x, float s, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] *= s;
}

void pk_add(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

void pk_rope(float *x, size_t heads, size_t head_size, size_t rope_dims, int position, float base, int halves) {
    // The angles once for every head (128 pairs at a time), each pair's from the previous one's
    // as ggml forms them.
    enum { chunk = 128 };
    float cosines[chunk], sines[chunk];
    const float theta_scale = powf(base, -2.0f / (float)rope_dims);
    float theta = (float)position;
    for (size_t first = 0; first < rope_dims / 2; first += chunk) {
        const size_t count = rope_dims / 2 - first < chunk ? rope_dims / 2 - first : chunk;
        for (size_t i = 0; i < count; i++) {
            cosines[i] = cosf(theta);
            sines[i] = sinf(theta);
            theta *= theta_scale;
        }
        for (size_t h = 0; h < heads; h++) {
            float *v = x + h * head_size;
            for (size_t k = 0; k < count; k++) {
                const size_t i = first + k;
                const size_t a = halves ? i : 2 * i;
                const size_t b = halves ? i + rope_dims / 2 : 2 * i + 1;
                const float x0 = v[a], x1 = v[b];
                v[a] = x0 * cosines[k] - x1 * sines[k];
                v[b] = x0 * sines[k] + x1 * cosines[k];
            }
        }
    }
}
