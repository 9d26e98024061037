#include "kernels_internal.h"

// One attention head over the cached positions (see pk_attend in parley_kernels.h). The
// portable version is the definition; the AVX2 one computes the same thing with its own exp
// (within 2 ulp of expf) and a float sum of the exponentials.

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

/// q converted once; eight positions' dot products in flight (each one chain of multiply-adds);
/// the exponentials 8 at a time; the output accumulated in registers, 64 columns at a time,
/// across all positions. Head sizes that are not a multiple of 8 take the portable path.
PK_AVX2 static void attend_avx2(const uint16_t *q, const uint16_t *keys, const uint16_t *values, size_t stride,
                                size_t positions, size_t head_size, float scale, float *scores, float *out) {
    float qf[PK_MAX_HEAD_SIZE];
    for (size_t i = 0; i < head_size; i += 8) _mm256_storeu_ps(qf + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(q + i))));

    __m256 maximum8 = _mm256_set1_ps(-INFINITY);
    size_t t = 0;
    for (; t + 8 <= positions; t += 8) {
        __m256 acc[8];
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) acc[k] = _mm256_setzero_ps();
        for (size_t i = 0; i < head_size; i += 8) {
            const __m256 qv = _mm256_loadu_ps(qf + i);
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++) {
                const __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(keys + (t + (size_t)k) * stride + i)));
                acc[k] = _mm256_fmadd_ps(qv, kv, acc[k]);
            }
        }
        // Transpose-reduce the eight accumulators into one vector of eight scores.
        const __m256 h01 = _mm256_hadd_ps(acc[0], acc[1]), h23 = _mm256_hadd_ps(acc[2], acc[3]);
        const __m256 h45 = _mm256_hadd_ps(acc[4], acc[5]), h67 = _mm256_hadd_ps(acc[6], acc[7]);
        const __m256 a = _mm256_hadd_ps(h01, h23), c = _mm256_hadd_ps(h45, h67);
        const __m256 s = _mm256_mul_ps(
            _mm256_add_ps(_mm256_permute2f128_ps(a, c, 0x20), _mm256_permute2f128_ps(a, c, 0x31)), _mm256_set1_ps(scale));
        _mm256_storeu_ps(scores + t, s);
        maximum8 = _mm256_max_ps(maximum8, s);
    }
    float maximum = -INFINITY;
    float lanes[8];
    _mm256_storeu_ps(lanes, maximum8);
    for (int k = 0; k < 8; k++) maximum = lanes[k] > maximum ? lanes[k] : maximum;
    for (; t < positions; t++) {
        __m256 acc = _mm256_setzero_ps();
        for (size_t i = 0; i < head_size; i += 8) {
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(qf + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(keys + t * stride + i))), acc);
        }
        scores[t] = hsum8(acc) * scale;
        if (scores[t] > maximum) maximum = scores[t];
    }

    const __m256 max8 = _mm256_set1_ps(maximum);
    __m256 sum8 = _mm256_setzero_ps();
    for (t = 0; t + 8 <= positions; t += 8) {
        const __m256 e = exp_nonpositive_avx2(_mm256_sub_ps(_mm256_loadu_ps(scores + t), max8));
        _mm256_storeu_ps(scores + t, e);
        sum8 = _mm256_add_ps(sum8, e);
    }
    float sum = hsum8(sum8);
    for (; t < positions; t++) {
        scores[t] = expf(scores[t] - maximum);
        sum += scores[t];
    }
    // The weights rounded to fp16 as they meet the fp16 values, as llama.cpp rounds them.
    const float inverse = 1.0f / sum;
    const __m256 inverse8 = _mm256_set1_ps(inverse);
    for (t = 0; t + 8 <= positions; t += 8) {
        const __m256 weight = _mm256_mul_ps(_mm256_loadu_ps(scores + t), inverse8);
        _mm256_storeu_ps(scores + t, _mm256_cvtph_ps(_mm256_cvtps_ph(weight, _MM_FROUND_TO_NEAREST_INT)));
    }
    for (; t < positions; t++) scores[t] = pk_fp16_to_fp32(pk_fp32_to_fp16(scores[t] * inverse));

    size_t c = 0;
    for (; c + 64 <= head_size; c += 64) {
        __m256 acc[8];
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) acc[k] = _mm256_setzero_ps();
        for (t = 0; t < positions; t++) {
            const __m256 w = _mm256_set1_ps(scores[t]);
            const uint16_t *value = values + t * stride + c;
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++) {
                acc[k] = _mm256_fmadd_ps(w, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(value + 8 * k))), acc[k]);
            }
        }
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) _mm256_storeu_ps(out + c + 8 * k, acc[k]);
    }
    for (; c < head_size; c += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (t = 0; t < positions; t++) {
            acc = _mm256_fmadd_ps(_mm256_set1_ps(scores[t]), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(values + t * stride + c))), acc);
        }
        _mm256_storeu_ps(out + c, acc);
    }
}

#endif  // PK_X86

void pk_attend_at(int level, const uint16_t *q, const uint16_t *keys, const uint16_t *values, size_t stride,
                  size_t positions, size_t head_size, float scale, float *scores, float *out) {
#ifdef PK_X86
    if (level >= 1 && pk_max_implementation() >= 1 && head_size % 8 == 0 && head_size <= PK_MAX_HEAD_SIZE) {
        attend_avx2(q, keys, values, stride, positions, head_size, scale, scores, out);
        return;
    }
#endif
    attend_portable(q, keys, values, stride, positions, head_size, scale, scores, out);
}

void pk_attend(const uint16_t *q, const uint16_t *keys, const uint16_t *values, size_t stride,
               size_t positions, size_t head_size, float scale, float *scores, float *out) {
    pk_attend_at(pk_implementation(), q, keys, values, stride, positions, head_size, scale, scores, out);
}
