#include "ck_internal.h"
#if CK_ARM64
#include "vec_neon.h"
#include "instantiate.h"

CK_HALF_KERNELS(bf16_native, vf_load_bf16, ck_result_bf16_native, CK_BF16_NATIVE_TARGET)
const ck_half_kernels ck_bf16_neon_native = CK_HALF_TABLE(bf16_native);
#endif
