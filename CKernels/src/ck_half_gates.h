/* The gate updates on half-format tensors: what their dispatcher (ck_gates_api.c) and the per-ISA
 * instances (gates.h through instantiate.h) share. Each ISA exports one table of them beside its
 * ck_kernel_table (ck_internal.h), ck_half_gates_<isa>. */
#ifndef CK_HALF_GATES_H
#define CK_HALF_GATES_H
#include "ck_internal.h"

/* The format of a gate update's large per-step tensors: float, or ck_half_format's values
 * (CK_TENSOR_INVALID: what the entry points make of any other value, to return its status). */
typedef enum {
    CK_TENSOR_INVALID = -1,
    CK_TENSOR_F32 = 0,
    CK_TENSOR_BF16 = CK_BF16,
    CK_TENSOR_F16 = CK_F16
} ck_tensor_format;

/* The kernels of ck_internal.h with the half-format tensors as bit patterns; arguments checked. */
typedef void (*ck_lstm_forward_half_fn)(const ck_lstm_desc *d, size_t r0, size_t r1, const uint16_t *z,
                                        const float *bias, const float *c_prev, float *c, uint16_t *h, float *ws);
typedef void (*ck_lstm_backward_half_fn)(const ck_lstm_desc *d, size_t r0, size_t r1, const uint16_t *dh,
                                         const float *dc_next, const float *ws, const float *c_prev, uint16_t *dz,
                                         float *dc_prev, float *db);
typedef void (*ck_gru_forward_half_fn)(const ck_gru_desc *d, size_t r0, size_t r1, const uint16_t *x,
                                       const uint16_t *hg, const uint16_t *h_prev, uint16_t *h, float *ws);
typedef void (*ck_gru_backward_half_fn)(const ck_gru_desc *d, size_t r0, size_t r1, const uint16_t *dh,
                                        const float *ws, const uint16_t *h_prev, uint16_t *dx, uint16_t *dhg,
                                        uint16_t *dh_prev);

/* One format's kernels on one ISA; tiers are indexed by ck_tier. */
typedef struct {
    ck_lstm_forward_half_fn lstm_forward[3];
    ck_lstm_backward_half_fn lstm_backward;
    ck_gru_forward_half_fn gru_forward[3];
    ck_gru_backward_half_fn gru_backward;
} ck_half_gate_kernels;

typedef struct {
    ck_half_gate_kernels bf16, f16;
} ck_half_gate_table;

extern const ck_half_gate_table ck_half_gates_scalar;
#if CK_X86
extern const ck_half_gate_table ck_half_gates_avx2;
extern const ck_half_gate_table ck_half_gates_avx512;
#endif
#if CK_ARM64
extern const ck_half_gate_table ck_half_gates_neon;
#endif

/* A half-format entry point's `format` as a tensor format; a value outside ck_half_format (0,
 * float's, included) becomes CK_TENSOR_INVALID. */
ck_tensor_format ck_half_tensor_format(ck_half_format format);

/* ck_lstm_backward_rows / ck_lstm_backward_half_rows for either format (CK_TENSOR_F32: the float
 * function's arguments): what ck_threads.c's row-group driver calls. */
ck_status ck_lstm_backward_any_rows(const ck_lstm_desc *d, ck_tensor_format fmt, size_t row_begin, size_t row_end,
                                    ck_isa isa, const void *dh, const float *dc_next, const float *workspace,
                                    const float *c_prev, void *dz, float *dc_prev, float *db);

#endif
