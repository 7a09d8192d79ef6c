/* The NEON bf16 gate forward kernels again, narrowing h with FEAT_BF16's BFCVTN (vec_neon.h's
 * ck_round_bf16_native): the same algorithm and the same bits as ck_table_neon's, for CPUs that
 * have the instruction (ck_bf16_gate_forwards chooses). */
#include "ck_internal.h"
#if CK_ARM64
#define CK_BF16_NATIVE 1
#include "vec_neon.h"
#include "gates.h"

CK_GATE_FORWARD_TIERS(_bf16, CK_TENSOR_BF16, uint16_t)
const ck_half_gate_forwards ck_bf16_gate_forwards_neon_native = CK_HALF_GATE_FORWARDS(_bf16);
#endif
