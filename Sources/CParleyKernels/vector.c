#include "parley_kernels.h"
#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static float dot_f32_avx2(const float *a, const float *b, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    acc0 = _mm256_add_ps(acc0, acc1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc0), _mm256_extractf128_ps(acc0, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float sum = _mm_cvtss_f32(s);
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

__attribute__((target("avx2,fma"))) static void axpy_f32_avx2(float *y, float a, const float *x, size_t n) {
    const __m256 va = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    }
    for (; i < n; i++) y[i] += a * x[i];
}
#endif

float pk_dot_f32(const float *a, const float *b, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    if (pk_implementation() >= 1) return dot_f32_avx2(a, b, n);
#endif
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

void pk_axpy_f32(float *y, float a, const float *x, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    if (pk_implementation() >= 1) {
        axpy_f32_avx2(y, a, x, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma,f16c"))) static float dot_f16_avx2(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 va = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256 vb = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + i)));
        acc = _mm256_fmadd_ps(va, vb, acc);
    }
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float sum = _mm_cvtss_f32(s);
    for (; i < n; i++) sum += pk_fp16_to_fp32(a[i]) * pk_fp16_to_fp32(b[i]);
    return sum;
}

__attribute__((target("avx2,fma,f16c"))) static void axpy_f16_avx2(float *y, float a, const uint16_t *x, size_t n) {
    const __m256 va = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 vx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, vx, _mm256_loadu_ps(y + i)));
    }
    for (; i < n; i++) y[i] += a * pk_fp16_to_fp32(x[i]);
}

__attribute__((target("avx2,f16c"))) static void fp32_to_fp16_avx2(const float *x, uint16_t *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) y[i] = pk_fp32_to_fp16(x[i]);
}
#endif

float pk_dot_f16(const uint16_t *a, const uint16_t *b, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    if (pk_implementation() >= 1) return dot_f16_avx2(a, b, n);
#endif
    float sum = 0.0f;
    for (size_t i = 0; i < n; i++) sum += pk_fp16_to_fp32(a[i]) * pk_fp16_to_fp32(b[i]);
    return sum;
}

void pk_axpy_f16(float *y, float a, const uint16_t *x, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    if (pk_implementation() >= 1) {
        axpy_f16_avx2(y, a, x, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) y[i] += a * pk_fp16_to_fp32(x[i]);
}

void pk_fp32_to_fp16_row(const float *x, uint16_t *y, size_t n) {
#if defined(__x86_64__) || defined(__i386__)
    if (pk_implementation() >= 1) {
        fp32_to_fp16_avx2(x, y, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) y[i] = pk_fp32_to_fp16(x[i]);
}

void pk_attend(const uint16_t *q, const uint16_t *keys, const uint16_t *values, size_t stride,
               size_t positions, size_t head_size, float scale, float *scores, float *out) {
    float maximum = -INFINITY;
    for (size_t t = 0; t < positions; t++) {
        float s = pk_dot_f16(q, keys + t * stride, head_size) * scale;
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
        float weight = pk_fp16_to_fp32(pk_fp32_to_fp16(scores[t] * inverse));
        pk_axpy_f16(out, weight, values + t * stride, head_size);
    }
}
