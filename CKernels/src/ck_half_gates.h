/* The gate updates on half-format tensors: what their dispatcher (ck_gates_api.c) and the per-ISA
 * instances (gates.h through instantiate.h) share; their kernels are in each ISA's ck_kernel_table
 * (ck_internal.h). */
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

/* A half-format entry point's `format` as a tensor format; a value outside ck_half_format (0,
 * float's, included) becomes CK_TENSOR_INVALID. */
ck_tensor_format ck_half_tensor_format(ck_half_format format);

/* ck_lstm_backward_rows / ck_lstm_backward_half_rows for either format (CK_TENSOR_F32: the float
 * function's arguments): what ck_threads.c's row-group driver calls. */
ck_status ck_lstm_backward_any_rows(const ck_lstm_desc *d, ck_tensor_format fmt, size_t row_begin, size_t row_end,
                                    ck_isa isa, const void *dh, const float *dc_next, const float *workspace,
                                    const float *c_prev, void *dz, float *dc_prev, float *db);

#endif
