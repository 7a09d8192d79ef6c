/* What the dispatcher and the per-ISA instances share. */
#ifndef CK_INTERNAL_H
#define CK_INTERNAL_H
#include <stddef.h>
#include "ckernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#define CK_X86 1
#else
#define CK_X86 0
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define CK_ARM64 1
#else
#define CK_ARM64 0
#endif

typedef void (*ck_unary_fn)(const float *x, float *y, size_t n);

/* One ISA's kernels; tiers are indexed by ck_tier. */
typedef struct {
    ck_unary_fn sigmoid[3];
    ck_unary_fn tanh[3];
} ck_kernel_table;

extern const ck_kernel_table ck_table_scalar;
#if CK_X86
extern const ck_kernel_table ck_table_avx2;
extern const ck_kernel_table ck_table_avx512;
#endif
#if CK_ARM64
extern const ck_kernel_table ck_table_neon;
#endif

/* The table of the active ISA (initialised on first use). */
const ck_kernel_table *ck_active_table(void);

#endif
