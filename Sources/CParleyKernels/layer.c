#include "kernels_internal.h"
#include <pthread.h>

void pk_rms_norm(float *out, const float *x, const float *w, size_t n, float eps) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (size_t i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

void pk_swiglu(float *gate, const float *up, size_t n) {
    // libm's expf, not a vector approximation: SmolLM2's goldens sit within a few hundredths of
    // their 0.5 tolerance, and a 2-ulp exponential moved one logit past it.
    for (size_t i = 0; i < n; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
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
    size_t done = 0;
#ifdef PK_X86
    if (level >= 1 && pk_max_implementation() >= 1) done = geglu_avx2(gate, up, n);
#endif
    geglu_portable(gate, up, done, n);
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
