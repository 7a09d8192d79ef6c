/* The approximation zoo: well-known sigmoid and tanh approximations written here in plain scalar
 * C, so that `gatekernels accuracy --zoo` can put the tiers beside them under the same statistics. */
#ifndef CK_ZOO_H
#define CK_ZOO_H
#include "ck_eval.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *name;  /* short identifier, e.g. "keras-hard-sigmoid" */
    const char *label; /* what it is, e.g. "Keras hard sigmoid clip(0.2x + 0.5, 0, 1)" */
    ck_func func;      /* the function it approximates */
    ck_eval_impl impl; /* ignores its context argument */
} ck_zoo_entry;

/* The number of entries, and entry i (NULL for i out of range). */
size_t ck_zoo_count(void);
const ck_zoo_entry *ck_zoo_entry_at(size_t i);

#ifdef __cplusplus
}
#endif
#endif
