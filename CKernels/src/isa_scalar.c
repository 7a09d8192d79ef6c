#include "ck_internal.h"
#include "vec_scalar.h"
#include "instantiate.h"
