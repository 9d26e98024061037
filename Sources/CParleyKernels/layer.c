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
static uint16_t gelu_table[1 << 16];
static pthread_once_t gelu_table_once = PTHREAD_ONCE_INIT;

static void fill_gelu_table(void) {
    for (uint32_t bits = 0; bits < (1u << 16); bits++) {
        const float h = pk_fp16_to_fp32((uint16_t)bits);
        const float value = 0.5f * h * (1.0f + tanhf(0.79788456080286535587989211986876f * h * (1.0f + 0.044715f * h * h)));
        gelu_table[bits] = pk_fp32_to_fp16(value);
    }
}

void pk_geglu(float *gate, const float *up, size_t n) {
    pthread_once(&gelu_table_once, fill_gelu_table);
    for (size_t i = 0; i < n; i++) {
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
