// Parley's hot quantised kernels: dot products of ggml weight blocks with quantised
// activations, matrix-vector products over rows of blocks, and fp16 conversion.
// Each has a portable version and x86 versions chosen once at run time (AVX2, AVX-512 VNNI);
// no -march flags are needed to build them.
#ifndef PARLEY_KERNELS_H
#define PARLEY_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PK_QK 32  // elements per block of every 32-element format

// ggml Q4_0: d (fp16), 16 bytes of nibbles; value = d * (q - 8).
typedef struct { uint16_t d; uint8_t qs[PK_QK / 2]; } pk_block_q4_0;
// ggml Q4_1: d, m (fp16), 16 bytes of nibbles; value = d * q + m.
// Element i < 16 is the low nibble of qs[i]; element i >= 16 the high nibble of qs[i - 16].
typedef struct { uint16_t d; uint16_t m; uint8_t qs[PK_QK / 2]; } pk_block_q4_1;
// ggml Q8_0: d (fp16), 32 signed bytes; value = d * q.
typedef struct { uint16_t d; int8_t qs[PK_QK]; } pk_block_q8_0;

// ggml Q5_0: d (fp16), 32 fifth bits (bit i for element i), 16 bytes of nibbles as in Q4_0;
// value = d * ((nibble | fifth bit << 4) - 16).
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[PK_QK / 2]; } pk_block_q5_0;

#define PK_QK_K 256  // elements per K-quant super-block
// ggml Q4_K: d, dmin (fp16); eight 6-bit scales and mins in 12 bytes; 128 bytes of nibbles.
// Sub-block s (32 values) takes the low nibbles of qs[32 * (s / 2) ..] for even s, the high for
// odd; value = d * scale_s * q - dmin * min_s.
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qs[PK_QK_K / 2]; } pk_block_q4_K;
// ggml Q5_K: as Q4_K with 32 bytes of fifth bits first: bit s of qh[l] for value l of sub-block s.
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qh[PK_QK_K / 8]; uint8_t qs[PK_QK_K / 2]; } pk_block_q5_K;
// ggml Q6_K: 128 bytes of low nibbles, 64 of 2-bit high parts, sixteen signed scales (one per 16
// values), d (fp16); value = d * scale * (q - 32).
typedef struct { uint8_t ql[PK_QK_K / 2]; uint8_t qh[PK_QK_K / 4]; int8_t scales[PK_QK_K / 16]; uint16_t d; } pk_block_q6_K;

// Activations, quantised per 32 with a float scale (Parley's own, never stored in files), for the
// 32-element formats. pk_act_q8: value = d * q (d rounded through fp16, as ggml's Q8_0 and Q8_1);
// s = d * sum(q) rounded through fp16 (Q4_1's minimum folds into one product), and sum = sum(q)
// exactly (formats stored with an offset fold it into one integer product).
typedef struct { float d; float s; int32_t sum; int8_t qs[PK_QK]; } pk_act_q8;
// Activations quantised per 256 for the K-quants, as ggml's Q8_K: value = d * q with one float d
// per super-block, and the exact sum of each 16 quants, so that a super-block's minimums and
// offsets are one integer product and floats enter once per super-block.
typedef struct { float d; int8_t qs[PK_QK_K]; int16_t bsums[PK_QK_K / 16]; } pk_act_q8_K;

_Static_assert(sizeof(pk_block_q4_0) == 18, "Q4_0 block is 18 bytes");
_Static_assert(sizeof(pk_block_q4_1) == 20, "Q4_1 block is 20 bytes");
_Static_assert(sizeof(pk_block_q8_0) == 34, "Q8_0 block is 34 bytes");
_Static_assert(sizeof(pk_block_q5_0) == 22, "Q5_0 block is 22 bytes");
_Static_assert(sizeof(pk_block_q4_K) == 144, "Q4_K block is 144 bytes");
_Static_assert(sizeof(pk_block_q5_K) == 176, "Q5_K block is 176 bytes");
_Static_assert(sizeof(pk_block_q6_K) == 210, "Q6_K block is 210 bytes");
_Static_assert(sizeof(pk_act_q8) == 44, "activation block is 44 bytes");
_Static_assert(sizeof(pk_act_q8_K) == 292, "K activation block is 292 bytes");

// Which implementation the dispatcher chose: 0 portable, 1 AVX2, 2 AVX-512 VNNI, 3 the same
// with the packed products in 512-bit registers, on CPUs where those are no slower per element
// (at most PARLEY_KERNEL_LEVEL when that is set). Levels 1, 2 and 3 give bit-identical results.
int pk_implementation(void);
// The best implementation this CPU supports.
int pk_max_implementation(void);
// Forces an implementation for the whole process (benchmarks only, before any kernel runs);
// returns the one in force, which is lower than asked when the CPU lacks the features.
int pk_force_implementation(int level);
// One implementation's kernels, whatever is in force (for tests comparing them).
void pk_quantize_act_q8_at(int level, const float *x, pk_act_q8 *y, size_t n);
float pk_dot_at(int level, int type, const void *w, const void *x, size_t n);

float pk_fp16_to_fp32(uint16_t h);
uint16_t pk_fp32_to_fp16(float f);
void pk_fp16_to_fp32_row(const uint16_t *x, float *y, size_t n);

// Quantises n floats (n a multiple of 32) into n / 32 activation blocks.
void pk_quantize_act_q8(const float *x, pk_act_q8 *y, size_t n);
// Quantises n floats (n a multiple of 256) into n / 256 K activation blocks, as ggml's
// quantize_row_q8_K: the value of largest magnitude maps to -127, rounding half to even.
void pk_quantize_act_q8_K(const float *x, pk_act_q8_K *y, size_t n);
void pk_quantize_act_q8_K_at(int level, const float *x, pk_act_q8_K *y, size_t n);

// Which activations a weight type multiplies: 1 for the K-quants (pk_act_q8_K), 0 for the
// 32-element formats (pk_act_q8). Activation arguments below are of that kind, and strides count
// its blocks.
int pk_act_kind(int type);

// Dot product of one weight row of n elements (n / 32 blocks) with activation blocks.
float pk_dot_q4_0(const pk_block_q4_0 *w, const pk_act_q8 *x, size_t n);
float pk_dot_q4_1(const pk_block_q4_1 *w, const pk_act_q8 *x, size_t n);
float pk_dot_q8_0(const pk_block_q8_0 *w, const pk_act_q8 *x, size_t n);
int pk_has_kernel(int type);

// y[r] = dot(row r of w, x) for r in [row_begin, row_end); rows are row_bytes apart, n elements each.
// type, in ggml's numbering: 2 = Q4_0, 3 = Q4_1, 6 = Q5_0, 8 = Q8_0, 12 = Q4_K, 13 = Q5_K, 14 = Q6_K.
// Whether a type has a kernel here: pk_has_kernel.
void pk_matvec(int type, const void *w, size_t row_bytes, size_t n,
               const void *x, float *y, size_t row_begin, size_t row_end);

// The same for a batch of `batch` activation rows (x + b * x_stride blocks), each weight row read
// once for all of them: y[b * y_stride + r] = dot(row r of w, row b of x). Prompt processing.
void pk_matmul(int type, const void *w, size_t row_bytes, size_t n,
               const void *x, size_t x_stride, size_t batch, float *y, size_t y_stride,
               size_t row_begin, size_t row_end);

// The same at one implementation level, whatever is in force (for tests comparing levels).
void pk_matvec_at(int level, int type, const void *w, size_t row_bytes, size_t n,
                  const void *x, float *y, size_t row_begin, size_t row_end);
void pk_matmul_at(int level, int type, const void *w, size_t row_bytes, size_t n,
                  const void *x, size_t x_stride, size_t batch, float *y, size_t y_stride,
                  size_t row_begin, size_t row_end);

// Weight matrices repacked at load time for the fast products: groups of PK_PACK_ROWS rows,
// interleaved block by block, group g's block b at index g * (blocks per row) + b.
#define PK_PACK_ROWS 8
// Q4_1 group block: d and m of the 8 rows in lane order 0, 2, 4, 6, 1, 3, 5, 7 (the order the
// AVX2 reduction yields), then each row's 16 bytes of nibbles in row order.
typedef struct { uint16_t d[8]; uint16_t m[8]; uint8_t qs[8][PK_QK / 2]; } pk_block_q4_1x8;

// The other packed forms interleave the 8 rows 4 bytes at a time, so that one 32-byte register
// holds 4 bytes of each row and meets one broadcast 4-byte group of activations: quads[j] holds,
// at bytes 4r..4r+3, row r's elements 4j..4j+3 in the low nibbles and 16+4j..16+4j+3 in the high
// ones (of a 32-element block, or of one 32-value sub-block of a K-quant).
// Q8_0 group block: d of the 8 rows; the quants as quads (quads[j] holds, at bytes 4r..4r+3, row
// r's elements 4j..4j+3).
typedef struct { uint16_t d[8]; int8_t quads[8][32]; } pk_block_q8_0x8;
// Q5_0 group block: d of the 8 rows; the fifth bits of quads[j]'s low and high elements (bit b
// for byte b of the quad); the quads.
typedef struct { uint16_t d[8]; uint32_t qh[4][2]; uint8_t quads[4][32]; } pk_block_q5_0x8;
// Q4_K group super-block: d and dmin of the 8 rows; each sub-block's 6-bit scale and min per row
// ([sub-block][row]); the quads of each sub-block. 32 bytes more than the 8 rows in the file.
typedef struct {
    uint16_t d[8]; uint16_t dmin[8]; uint8_t scales[8][8]; uint8_t mins[8][8]; uint8_t quads[8][4][32];
} pk_block_q4_Kx8;
// Q6_K group super-block: d of the 8 rows; each 16 values' signed scale per row ([16ths][row]);
// then per sub-block, side by side (so that a group streams in the order it is read), its quads:
// byte b of low[j] holds quad j byte b's low element whole (bits 0-5) and the top 2 bits of its
// high element (bits 6-7); the high element's low 4 bits are in nibbles[j / 2][b], quad 2h's in
// the low nibble and quad 2h + 1's in the high one. A low element is one AND away, a high one
// three operations.
typedef struct { uint8_t low[4][32]; uint8_t nibbles[2][32]; } pk_q6_K_sub_block;
typedef struct { uint16_t d[8]; int8_t scales[16][8]; pk_q6_K_sub_block sub[8]; } pk_block_q6_Kx8;
_Static_assert(sizeof(pk_block_q4_1x8) == 8 * sizeof(pk_block_q4_1), "a Q4_1 group block holds 8 blocks");
_Static_assert(sizeof(pk_block_q8_0x8) == 8 * sizeof(pk_block_q8_0), "a Q8_0 group block holds 8 blocks");
_Static_assert(sizeof(pk_block_q5_0x8) == 8 * sizeof(pk_block_q5_0), "a Q5_0 group block holds 8 blocks");
_Static_assert(sizeof(pk_block_q4_Kx8) == 8 * sizeof(pk_block_q4_K) + 32, "a Q4_K group block holds 8 blocks, scales unpacked");
_Static_assert(sizeof(pk_block_q6_Kx8) == 8 * sizeof(pk_block_q6_K), "a Q6_K group block holds 8 blocks");

// Bytes of the packed form of `rows` rows of n elements of `type` (3 = Q4_1, 6 = Q5_0, 8 = Q8_0,
// 12 = Q4_K, 14 = Q6_K); 0 when the type has no packed form or rows is not a multiple of
// PK_PACK_ROWS.
size_t pk_packed_size(int type, size_t rows, size_t n);
// Packs rows (row_bytes apart) into out (pk_packed_size bytes); returns 0 when it cannot.
int pk_pack(int type, const void *w, size_t row_bytes, size_t rows, size_t n, void *out);
// y[t * y_stride + r] = dot(row r, activation row t) for the rows of groups [group_begin, group_end)
// and the `batch` activation rows at x + t * x_stride (blocks of the type's pk_act_kind). Each
// row's result is the same whatever the batch and whatever the level: a token's logits do not
// depend on the prompt it came in. For the K-quants it is also the row-by-row kernels' result.
void pk_packed_matmul(int type, const void *w, size_t n, const void *x, size_t x_stride,
                      size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end);
// The same with one implementation level, for tests comparing them.
void pk_packed_matmul_at(int level, int type, const void *w, size_t n, const void *x, size_t x_stride,
                         size_t batch, float *y, size_t y_stride, size_t group_begin, size_t group_end);

// The float dot product of two rows.
float pk_dot_f32(const float *a, const float *b, size_t n);
// One attention head over `positions` cached positions: scores = softmax(scale * q·k_t), with
// the weights rounded to fp16 as they meet the fp16 values, then out = sum_t weight_t * v_t.
// q, keys and values are fp16; key and value t start at keys + t * stride (values likewise).
// scores needs room for `positions` floats.
void pk_attend(const uint16_t *q, const uint16_t *keys, const uint16_t *values, size_t stride,
               size_t positions, size_t head_size, float scale, float *scores, float *out);
// The same with one implementation level, for tests comparing them.
void pk_attend_at(int level, const uint16_t *q, const uint16_t *keys, const uint16_t *values, size_t stride,
                  size_t positions, size_t head_size, float scale, float *scores, float *out);
// `heads` heads that share their keys and values (grouped-query attention): query h at
// q + h * head_size, its weights at scores + h * positions, its output at out + h * head_size.
// Each head's result is pk_attend's, bit for bit; the keys and values are converted from fp16
// once for the group rather than once per head.
void pk_attend_heads(const uint16_t *q, size_t heads, const uint16_t *keys, const uint16_t *values, size_t stride,
                     size_t positions, size_t head_size, float scale, float *scores, float *out);
void pk_attend_heads_at(int level, const uint16_t *q, size_t heads, const uint16_t *keys, const uint16_t *values,
                        size_t stride, size_t positions, size_t head_size, float scale, float *scores, float *out);
// The largest head the vector attention takes (larger heads take the portable one).
#define PK_MAX_HEAD_SIZE 256
// The per-token elementwise steps of a layer, as llama.cpp computes them.
// out = x / sqrt(mean(x^2) + eps) * w (the sum of squares in double). out may be x.
void pk_rms_norm(float *out, const float *x, const float *w, size_t n, float eps);
// gate = silu(gate) * up
void pk_swiglu(float *gate, const float *up, size_t n);
// The same with one implementation level: the vector levels compute e^-g in double and round
// it to float, which is libm's expf but for values within about 2^-42 of a rounding boundary.
void pk_swiglu_at(int level, float *gate, const float *up, size_t n);
// gate = gelu(gate) * up, GELU in its tanh form through fp16 as ggml's CPU table computes it
// (0 below -10, the identity above 10).
void pk_geglu(float *gate, const float *up, size_t n);
// The same with one implementation level, for tests comparing them.
void pk_geglu_at(int level, float *gate, const float *up, size_t n);
// x *= s
void pk_scale(float *x, float s, size_t n);
// x += y
void pk_add(float *x, const float *y, size_t n);
// Rotary embedding of `heads` heads of `head_size` at `position`: the first `rope_dims` of each
// head rotate in pairs, adjacent (x[2i], x[2i+1]) when `halves` is 0, else (x[i], x[i + d/2]).
void pk_rope(float *x, size_t heads, size_t head_size, size_t rope_dims, int position, float base, int halves);
// Converts n floats to fp16 (round to nearest even).
void pk_fp32_to_fp16_row(const float *x, uint16_t *y, size_t n);

// Reads n bytes (64-byte aligned, a multiple of 128) and returns a value depending on all of
// them: memory bandwidth measurements.
uint64_t pk_read_bytes(const void *p, size_t n);

// A hint to the CPU inside a spin-wait loop (x86 PAUSE).
static inline void pk_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#ifdef __cplusplus
}
#endif

#endif
