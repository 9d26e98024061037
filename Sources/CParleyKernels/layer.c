#include "parley_kernels.h"
#include <math.h>

void pk_rms_norm(float *out, const float *x, const float *w, size_t n, float eps) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (size_t i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

void pk_swiglu(float *gate, const float *up, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

void pk_geglu(float *gate, const float *up, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float g = gate[i];
        float gelu;
        if (g <= -10.0f) {
            gelu = 0.0f;
        } else if (g >= 10.0f) {
            gelu = g;
        } else {
            // ggml's CPU table: GELU of the fp16 input, stored as fp16.
            const float h = pk_fp16_to_fp32(pk_fp32_to_fp16(g));
            const float value = 0.5f * h * (1.0f + tanhf(0.79788456080286535587989211986876f * h * (1.0f + 0.044715f * h * h)));
            gelu = pk_fp16_to_fp32(pk_fp32_to_fp16(value));
        }
        gate[i] = gelu * up[i];
    }
}

void pk_scale(float *x, float s, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] *= s;
}

void pk_add(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

void pk_rope(float *x, size_t heads, size_t head_size, size_t rope_dims, int position, float base, int halves) {
    const float theta_scale = powf(base, -2.0f / (float)rope_dims);
    for (size_t h = 0; h < heads; h++) {
        float *v = x + h * head_size;
        float theta = (float)position;
        for (size_t i = 0; i < rope_dims / 2; i++) {
            const float c = cosf(theta), s = sinf(theta);
            const size_t a = halves ? i : 2 * i;
            const size_t b = halves ? i + rope_dims / 2 : 2 * i + 1;
            const float x0 = v[a], x1 = v[b];
            v[a] = x0 * c - x1 * s;
            v[b] = x0 * s + x1 * c;
            theta *= theta_scale;
        }
    }
}
