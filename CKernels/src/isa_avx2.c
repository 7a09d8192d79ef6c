#include "ck_internal.h"
#if CK_X86
#include "vec_avx2.h"
#include "instantiate.h"
#endif
