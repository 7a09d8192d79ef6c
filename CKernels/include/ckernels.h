/* GateKernels C API: vectorized sigmoid and tanh in three accuracy tiers, with runtime ISA dispatch.
 *
 * Accuracy contract (every tier, every ISA, every float input; proven by exhaustive sweeps):
 *   CK_PRECISE      <= 2 ulp          against double-precision exp/tanh rounded to float
 *   CK_FAST         <= 4 ulp
 *   CK_APPROXIMATE  <= 2e-4 absolute
 * ULP bounds hold wherever the true result is a normal float; sigmoid returns exactly 0 below
 * x = -87.3365 (where the true result is subnormal). In every tier: monotone non-decreasing,
 * sigmoid in [0, 1], tanh in [-1, 1]; NaN in gives NaN out; sigmoid(-inf) = 0, sigmoid(+inf) = 1,
 * sigmoid(0) = 0.5; tanh(+-inf) = +-1, tanh(+-0) = +-0, tanh(-x) == -tanh(x) bit for bit; both reach
 * their saturation values exactly; no NaN or inf for finite input. The results do not depend on the
 * caller's FTZ/DAZ setting (beyond subnormal results) and the kernels never change it. They assume
 * the default round-to-nearest mode.
 *
 * Floating-point exception flags, the same on every ISA and for every entry point (float, half
 * formats, gate updates): a non-NaN input raises none of FE_INVALID, FE_DIVBYZERO and FE_OVERFLOW,
 * so the kernels run with those traps enabled; a NaN input may raise FE_INVALID (the clamps'
 * min/max and ordered compares signal it for any NaN operand on x86 and AArch64) but not the
 * other two. FE_INEXACT and FE_UNDERFLOW may be raised by any input. The gate updates' own
 * arithmetic on the caller's data (c_prev, biases, gradients) raises what IEEE arithmetic raises,
 * e.g. FE_OVERFLOW when c overflows.
 *
 * All functions are thread-safe. Buffers (float and uint16_t alike) may start at any byte address,
 * odd ones included: on every ISA the kernels read and write them only through memcpy, unaligned
 * vector loads and stores, or NEON byte loads and stores, never through a misaligned typed access. */
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/* The library's version, the one place it is written: the Makefile (soname, ckernels.pc) and the
 * `gatekernels` command read it from here. */
#define CK_VERSION "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CK_PRECISE = 0, CK_FAST = 1, CK_APPROXIMATE = 2 } ck_tier;

typedef enum {
    CK_OK = 0,
    CK_ERR_NULL_POINTER,     /* a required pointer is NULL while its length is non-zero */
    CK_ERR_OVERLAP,          /* an output partly overlaps another buffer (exact aliasing y == x is allowed) */
    CK_ERR_INVALID_ARGUMENT, /* an unknown tier or ISA value, or a length whose byte size overflows */
    CK_ERR_UNSUPPORTED       /* the requested ISA (a valid ck_isa) is not available on this CPU or build */
} ck_status;

/* The one list of instruction sets, X(enumerator suffix, name), in ck_isa order: the enum and the
 * names (ck_isa_name, GATEKERNELS_ISA) come from it, the library's per-ISA table is sized and indexed
 * by it. Within one architecture the list runs narrowest first (ck_best_isa takes the last supported).
 * A new ISA goes at the end: the values are ABI. */
#define CK_ISA_LIST(X) X(AUTO, auto) X(SCALAR, scalar) X(AVX2, avx2) X(AVX512, avx512) X(NEON, neon)

typedef enum {
#define CK_ISA_ENUMERATOR(id, name) CK_ISA_##id,
    CK_ISA_LIST(CK_ISA_ENUMERATOR)
#undef CK_ISA_ENUMERATOR
    CK_ISA_COUNT /* how many values ck_isa has: a valid one is below it */
} ck_isa;

/* y[i] = 1 / (1 + e^-x[i]) for i < n. y == x (in place) is allowed; any other overlap returns
 * CK_ERR_OVERLAP and writes nothing. n == 0 is CK_OK. */
ck_status ck_sigmoid_f32(const float *x, float *y, size_t n, ck_tier tier);

/* y[i] = tanh(x[i]) for i < n; the same argument rules as ck_sigmoid_f32. */
ck_status ck_tanh_f32(const float *x, float *y, size_t n, ck_tier tier);

/* The same on a given instruction set, whatever the active one (CK_ISA_AUTO: the active one);
 * CK_ERR_UNSUPPORTED if this CPU lacks it, CK_ERR_INVALID_ARGUMENT for a value outside ck_isa. For tests and benchmarks that run every path. All ISAs
 * give bitwise identical results. */
ck_status ck_sigmoid_f32_isa(const float *x, float *y, size_t n, ck_tier tier, ck_isa isa);
ck_status ck_tanh_f32_isa(const float *x, float *y, size_t n, ck_tier tier, ck_isa isa);

/* The argument checks of ck_sigmoid_f32 / ck_tanh_f32 alone, for drivers that split one call into
 * chunks (a chunk cannot see an overlap with another chunk): CK_OK or the status the call would
 * return. Runs no kernel. */
ck_status ck_check_unary_f32(const float *x, const float *y, size_t n, ck_tier tier);

/* ---- Half-format storage: bfloat16 and IEEE binary16 ------------------------------------------
 *
 * Input and result in the same 16-bit format, passed as uint16_t bit patterns: the tier's float
 * algorithm on the input, rounded to nearest even (NaN: a quiet NaN). The argument rules, status
 * codes and thread safety are those of ck_sigmoid_f32 (y == x in place, any other overlap
 * CK_ERR_OVERLAP); all ISAs give bitwise identical results, NaNs included. The first call of a
 * function, tier and format on an ISA computes its results for all 65,536 inputs into a table
 * (128 KiB, kept until exit; built in the default floating-point environment, so the caller's
 * FTZ/DAZ setting changes none of these results); every call looks its results up and raises no
 * floating-point flag (docs/design.md). Proven over all 65,536 inputs of each format (ck_test.c):
 *   CK_PRECISE, CK_FAST  <= 1 ulp of the format from the correctly rounded result of the exact
 *                        function (bf16 sigmoid below x = -87.3365 is 0, as in float), and
 *                        correctly rounded for at least 99.9% of the inputs
 *   CK_APPROXIMATE       <= 2e-4 absolute plus half an ulp of the format at the result
 * with the float contract's monotonicity, ranges, special values and oddness. */
ck_status ck_sigmoid_bf16(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier);
ck_status ck_tanh_bf16(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier);
ck_status ck_sigmoid_f16(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier);
ck_status ck_tanh_f16(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier);

/* The same on a given instruction set (CK_ISA_AUTO: the active one), as ck_sigmoid_f32_isa. */
ck_status ck_sigmoid_bf16_isa(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, ck_isa isa);
ck_status ck_tanh_bf16_isa(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, ck_isa isa);
ck_status ck_sigmoid_f16_isa(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, ck_isa isa);
ck_status ck_tanh_f16_isa(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, ck_isa isa);

/* The argument checks of the half-format functions alone, as ck_check_unary_f32. */
ck_status ck_check_unary_half(const uint16_t *x, const uint16_t *y, size_t n, ck_tier tier);

/* Force an instruction set for every later call in this process (CK_ISA_AUTO: the widest this
 * CPU supports). CK_ERR_UNSUPPORTED, and no change, if the CPU or build lacks it;
 * CK_ERR_INVALID_ARGUMENT, and no change, for a value outside ck_isa.
 * At start-up the environment variable GATEKERNELS_ISA=scalar|avx2|avx512|neon|auto does the same. */
ck_status ck_set_isa(ck_isa isa);

/* The instruction set the kernels use now (never CK_ISA_AUTO). */
ck_isa ck_active_isa(void);

/* The widest instruction set this CPU and build support. */
ck_isa ck_best_isa(void);

/* Non-zero if this CPU and build can run `isa`. */
int ck_isa_supported(ck_isa isa);

/* How GATEKERNELS_ISA was applied at start-up: CK_OK when unset or honoured; CK_ERR_INVALID_ARGUMENT
 * for an unknown name, CK_ERR_UNSUPPORTED for an ISA this CPU lacks (the kernels then use the
 * best ISA, and the message is in ck_env_isa_message()). */
ck_status ck_env_isa_status(void);
const char *ck_env_isa_message(void);

/* The name of CK_ISA_LIST ("auto", "scalar", "avx2", "avx512", "neon"); "unknown" for anything else. */
const char *ck_isa_name(ck_isa isa);

/* A short English description of a status code. */
const char *ck_status_string(ck_status s);

/* ---- Fused LSTM and GRU gate updates ---------------------------------------------------------
 *
 * One call per time step after the trainer's GEMMs: the gate activations and the state update in
 * one pass over memory. Matrices are row-major with B rows (the batch). The activations are the
 * tier's sigmoid and tanh, with the tier's bounds; the arithmetic around them is float with FMA.
 * Every ISA gives bitwise identical results.
 *
 * Status codes (nothing is written unless CK_OK): CK_ERR_NULL_POINTER for a NULL descriptor or
 * required buffer; CK_ERR_INVALID_ARGUMENT for batch or hidden 0, a z_stride below 4H, an unknown
 * tier or gate order, a cell_clip that is negative or NaN, a NaN forget_bias, sizes whose byte
 * count overflows, or a row range outside [0, batch]; CK_ERR_OVERLAP when buffers overlap (as
 * address ranges) except for the exact aliasing documented per function; CK_ERR_UNSUPPORTED for
 * an ISA this CPU lacks and CK_ERR_INVALID_ARGUMENT for a value outside ck_isa (the _rows
 * functions). */

/* Gate order inside a row of Z (and of dZ and the workspace's gate section), each block H wide:
 * IFGO = input, forget, cell candidate g, output (PyTorch, cuDNN, oneDNN, Keras);
 * ICFO = input, cell candidate g, forget, output (TensorFlow's LSTMBlockCell). */
typedef enum { CK_GATES_IFGO = 0, CK_GATES_ICFO = 1 } ck_gate_order;

typedef struct {
    size_t batch;        /* B: rows of every matrix */
    size_t hidden;       /* H: hidden size */
    size_t z_stride;     /* floats from one row of Z to the next; 0 means 4H, otherwise >= 4H */
    ck_gate_order order; /* the gate order of Z, dZ, bias, db and the workspace */
    float forget_bias;   /* added to the forget gate's preactivation inside the kernel */
    float cell_clip;     /* > 0: clip c to [-cell_clip, cell_clip] before tanh and storage; 0: off */
    ck_tier tier;        /* the activations' accuracy tier */
} ck_lstm_desc;

/* Rows per group of the fixed db summation order (see ck_lstm_backward). */
#define CK_GATES_DB_ROWS 8

/* Floats of LSTM workspace for `d`: 5 B H (0 if d is NULL or invalid). Layout: the activated gates
 * [B][4H] in d->order (dense), then tanh(c) [B][H]. */
size_t ck_lstm_workspace_floats(const ck_lstm_desc *d);

/* LSTM forward step. z[B][z_stride] (4H used per row), bias[4H] or NULL, c_prev[B][H] ->
 * c[B][H], h[B][H]:
 *   i, f, o = sigmoid(.), g = tanh(.) of (z + bias) (+ forget_bias for f), in float;
 *   c = clip(f c_prev + i g), h = o tanh(c).
 * workspace: NULL for inference, else ck_lstm_workspace_floats(d) floats, written for the backward.
 * Exact aliasing allowed: c == c_prev, and workspace == z when Z is dense (z_stride 0 or 4H): a
 * trainer that writes Z into the workspace's gate section streams one buffer less per step. */
ck_status ck_lstm_forward(const ck_lstm_desc *d, const float *z, const float *bias, const float *c_prev,
                          float *c, float *h, float *workspace);

/* LSTM backward step from dh[B][H], dc_next[B][H] (the gradient reaching c from later steps; NULL
 * means 0), the forward's workspace and c_prev -> dz[B][4H] (dense, d->order), dc_prev[B][H], and
 * db[4H] += the sum of dz over the batch (db NULL: skipped). Derivatives use the saved outputs
 * (sigmoid' = s(1 - s), tanh' = 1 - t^2). Where clipping changed c (|f c_prev + i g| > cell_clip)
 * the gradient through c is zero, as in TensorFlow. db is summed in a fixed order: rows in groups
 * of CK_GATES_DB_ROWS by row index, each group from -0 in row order, then db += each group's sum in
 * group order. Exact aliasing allowed: dz == workspace (dz replaces the gate section), and dc_prev
 * equal to dh, dc_next or c_prev. */
ck_status ck_lstm_backward(const ck_lstm_desc *d, const float *dh, const float *dc_next, const float *workspace,
                           const float *c_prev, float *dz, float *dc_prev, float *db);

/* The same for rows [row_begin, row_end) of the batch described by d (all pointers as for the whole
 * batch; other rows are neither read nor written) on a given ISA (CK_ISA_AUTO: the active one).
 * For threads and tests. A split at multiples of CK_GATES_DB_ROWS, with each group's db accumulated
 * into its own buffer filled with -0 and the buffers added to db in group order, reproduces the
 * whole-batch call bit for bit. row_begin == row_end is CK_OK. */
ck_status ck_lstm_forward_rows(const ck_lstm_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                               const float *z, const float *bias, const float *c_prev, float *c, float *h,
                               float *workspace);
ck_status ck_lstm_backward_rows(const ck_lstm_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                                const float *dh, const float *dc_next, const float *workspace,
                                const float *c_prev, float *dz, float *dc_prev, float *db);

typedef struct {
    size_t batch;  /* B */
    size_t hidden; /* H */
    ck_tier tier;  /* the activations' accuracy tier */
} ck_gru_desc;

/* Floats of GRU workspace for `d`: 4 B H (0 if d is NULL or invalid). Layout: the activated gates
 * r, z, n [B][3H], then hn [B][H]. */
size_t ck_gru_workspace_floats(const ck_gru_desc *d);

/* GRU forward step, PyTorch convention (linear before reset). x[B][3H] (input projections r, z, n,
 * input bias included), hg[B][3H] (hidden projections, hidden bias included), h_prev[B][H] -> h[B][H]:
 *   r = sigmoid(xr + hr), z = sigmoid(xz + hz), n = tanh(xn + r hn), h = (1 - z) n + z h_prev.
 * workspace: NULL for inference, else ck_gru_workspace_floats(d) floats. Exact aliasing allowed:
 * h == h_prev. */
ck_status ck_gru_forward(const ck_gru_desc *d, const float *x, const float *hg, const float *h_prev, float *h,
                         float *workspace);

/* GRU backward step: dh[B][H] (the whole gradient reaching h), the workspace and h_prev ->
 * dx[B][3H], dhg[B][3H], dh_prev[B][H] (the part through h_prev directly; the trainer adds
 * dhg's GEMM). Exact aliasing allowed: dx == workspace, dh_prev == dh or h_prev. */
ck_status ck_gru_backward(const ck_gru_desc *d, const float *dh, const float *workspace, const float *h_prev,
                          float *dx, float *dhg, float *dh_prev);

/* Rows [row_begin, row_end) on a given ISA, as for the LSTM. */
ck_status ck_gru_forward_rows(const ck_gru_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                              const float *x, const float *hg, const float *h_prev, float *h, float *workspace);
ck_status ck_gru_backward_rows(const ck_gru_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                               const float *dh, const float *workspace, const float *h_prev, float *dx,
                               float *dhg, float *dh_prev);

/* ---- Gate updates with half-format tensors ------------------------------------------------------
 *
 * For mixed-precision trainers: the large per-step tensors in bfloat16 or IEEE binary16 (uint16_t
 * bit patterns), the cell state, the workspace and the bias gradient in float:
 *   LSTM  `format`: z, h, dh, dz          float: bias, c_prev, c, dc_next, dc_prev, workspace, db
 *   GRU   `format`: x, hg, h_prev, h, dh, dx, dhg, dh_prev            float: workspace
 * Each call computes exactly what the float function computes on its inputs widened to float
 * (exactly), and rounds each half-format output to nearest even once (db sums dz before that
 * rounding): the float formulas' bits, rounded, the same on every ISA, row split and thread count.
 * The descriptors, the workspace (its size in floats and layout), the status codes and the rules
 * of the float functions apply, sizes counted in elements (2 bytes each in `format`); a `format`
 * outside ck_half_format is CK_ERR_INVALID_ARGUMENT. Exact aliasing allowed: c == c_prev and
 * dc_prev equal to dc_next or c_prev (LSTM), h == h_prev and dh_prev equal to dh or h_prev (GRU);
 * Z cannot live in the workspace (their formats differ). The _rows forms are those of the float
 * functions (row ranges, ISA, the split db: see ckernels_threads.h). */
typedef enum { CK_BF16 = 1, CK_F16 = 2 } ck_half_format;

ck_status ck_lstm_forward_half(const ck_lstm_desc *d, ck_half_format format, const uint16_t *z, const float *bias,
                               const float *c_prev, float *c, uint16_t *h, float *workspace);
ck_status ck_lstm_backward_half(const ck_lstm_desc *d, ck_half_format format, const uint16_t *dh,
                                const float *dc_next, const float *workspace, const float *c_prev, uint16_t *dz,
                                float *dc_prev, float *db);
ck_status ck_gru_forward_half(const ck_gru_desc *d, ck_half_format format, const uint16_t *x, const uint16_t *hg,
                              const uint16_t *h_prev, uint16_t *h, float *workspace);
ck_status ck_gru_backward_half(const ck_gru_desc *d, ck_half_format format, const uint16_t *dh,
                               const float *workspace, const uint16_t *h_prev, uint16_t *dx, uint16_t *dhg,
                               uint16_t *dh_prev);

ck_status ck_lstm_forward_half_rows(const ck_lstm_desc *d, ck_half_format format, size_t row_begin, size_t row_end,
                                    ck_isa isa, const uint16_t *z, const float *bias, const float *c_prev, float *c,
                                    uint16_t *h, float *workspace);
ck_status ck_lstm_backward_half_rows(const ck_lstm_desc *d, ck_half_format format, size_t row_begin,
                                     size_t row_end, ck_isa isa, const uint16_t *dh, const float *dc_next,
                                     const float *workspace, const float *c_prev, uint16_t *dz, float *dc_prev,
                                     float *db);
ck_status ck_gru_forward_half_rows(const ck_gru_desc *d, ck_half_format format, size_t row_begin, size_t row_end,
                                   ck_isa isa, const uint16_t *x, const uint16_t *hg, const uint16_t *h_prev,
                                   uint16_t *h, float *workspace);
ck_status ck_gru_backward_half_rows(const ck_gru_desc *d, ck_half_format format, size_t row_begin, size_t row_end,
                                    ck_isa isa, const uint16_t *dh, const float *workspace, const uint16_t *h_prev,
                                    uint16_t *dx, uint16_t *dhg, uint16_t *dh_prev);

#ifdef __cplusplus
}
#endif
#endif
