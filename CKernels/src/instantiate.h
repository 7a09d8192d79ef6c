/* Included once per ISA after that ISA's vector layer: instantiates every algorithm and exports the
 * ISA's kernel table, ck_table_<isa>. */
#if defined(__clang__) && VL == 1
/* clang by default takes FP exceptions as ignorable and may compute on lanes the source does not:
 * it vectorizes the scalar path's pairs four wide and divides in the unused lanes, raising flags
 * the code never would. maytrap keeps ckernels.h's flags promise there. The vector paths need it
 * not (their intrinsics compute only the source's lanes; ck_test checks their flags under clang
 * too) and run slower with it; GCC's default (-ftrapping-math) already keeps the promise. */
#pragma clang fp exceptions(maytrap)
#endif
#include "activations.h"
#include "activations_half.h"
#include "gates.h"

CK_UNARY_KERNEL(sigmoid_precise, ck_sigmoid_v, CK_SIGMOID_PRECISE)
CK_UNARY_KERNEL(sigmoid_fast, ck_sigmoid_v, CK_SIGMOID_FAST)
CK_UNARY_KERNEL(sigmoid_approximate, ck_sigmoid_v, CK_SIGMOID_APPROXIMATE)
CK_UNARY_KERNEL(tanh_precise, ck_tanh_v, CK_TANH_PRECISE)
CK_UNARY_KERNEL(tanh_fast, ck_tanh_v, CK_TANH_FAST)
CK_UNARY_KERNEL(tanh_approximate, ck_tanh_v, CK_TANH_APPROXIMATE)
CK_GATE_KERNELS(, CK_TENSOR_F32, float)
CK_GATE_KERNELS(_bf16, CK_TENSOR_BF16, uint16_t)
CK_GATE_KERNELS(_f16, CK_TENSOR_F16, uint16_t)

#define CK_CAT2(a, b) a##b
#define CK_CAT(a, b) CK_CAT2(a, b)

const ck_kernel_table CK_CAT(ck_table_, CK_ISA_SUFFIX) = {
    { sigmoid_precise, sigmoid_fast, sigmoid_approximate },
    { tanh_precise, tanh_fast, tanh_approximate },
    .lstm_forward = { lstm_forward_precise, lstm_forward_fast, lstm_forward_approximate },
    .lstm_backward = lstm_backward,
    .gru_forward = { gru_forward_precise, gru_forward_fast, gru_forward_approximate },
    .gru_backward = gru_backward,
    .bf16 = CK_HALF_TABLE(bf16),
    .f16 = CK_HALF_TABLE(f16),
    .half_lookup = half_lookup,
    .bf16_gates = CK_HALF_GATE_TABLE(_bf16),
    .f16_gates = CK_HALF_GATE_TABLE(_f16),
};
