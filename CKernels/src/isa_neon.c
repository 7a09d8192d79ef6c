#include "ck_internal.h"
#if CK_ARM64
#include "vec_neon.h"
#include "instantiate.h"
#endif
