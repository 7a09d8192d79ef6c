/* The AVX-512 bf16 gate forward kernels again, narrowing h with AVX512-BF16's vcvtneps2bf16
 * (vec_avx512.h's ck_round_bf16_native): the same algorithm and the same bits as ck_table_avx512's,
 * for CPUs that have the instruction (ck_bf16_gate_forwards chooses). */
#include "ck_internal.h"
#if CK_X86
#define CK_BF16_NATIVE 1
#include "vec_avx512.h"
#include "gates.h"

CK_GATE_FORWARD_TIERS(_bf16, CK_TENSOR_BF16, uint16_t)
const ck_half_gate_forwards ck_bf16_gate_forwards_avx512_native = CK_HALF_GATE_FORWARDS(_bf16);
#endif
