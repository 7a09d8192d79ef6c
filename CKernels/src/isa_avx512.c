#include "ck_internal.h"
#if CK_X86
#include "vec_avx512.h"
#include "instantiate.h"
#endif
