/* Sigmoid and tanh on half-format storage (bf16 and IEEE binary16 bit patterns), instantiated per
 * ISA through instantiate.h. Each block is widened to float in registers (exactly), run through
 * the float algorithm of activations.h unchanged, and rounded back to nearest even by the vector
 * layer's vf_store_<format>; a NaN result is the NaN input, quieted (the same bits on every ISA). A
 * float result within the tier's few float ulps lands within one half ulp of the correctly rounded
 * half result (exactly on it unless the float result straddles a rounding boundary); ck_test.c
 * proves the bounds over all 65,536 inputs of each format. The public entry points run these
 * kernels once over all 65,536 inputs into a table and then look results up (half_lookup below,
 * ck_api.c's half_table). */
#ifndef CK_ACTIVATIONS_HALF_H
#define CK_ACTIVATIONS_HALF_H
#include <string.h>

#include "activations.h"

/* The result r of the input vector x stored in a half format, a NaN lane x's own NaN (quieted by
 * the narrowing): the per-vector end of the kernels below, for a format with vf_store_<fmt>. The
 * bf16 kernels with vcvtneps2bf16 and with BFCVTN have their own (vec_avx512.h, vec_neon.h). */
#define CK_HALF_RESULT(fmt)                                                                       \
    static inline CK_HALF_TARGET void ck_result_##fmt(uint16_t *p, vf r, vf x)                    \
    {                                                                                             \
        vf_store_##fmt(p, vf_nan_to_input(r, x));                                                 \
    }                                                                                             \
    static inline CK_HALF_TARGET void ck_result_##fmt##_tail(uint16_t *p, vf r, vf x, size_t k)  \
    {                                                                                             \
        vf_store_##fmt##_tail(p, vf_nan_to_input(r, x), k);                                       \
    }
CK_HALF_RESULT(bf16)
CK_HALF_RESULT(f16)

/* The loop of CK_UNARY_KERNEL over uint16_t storage: `load` names the widening and `result` the
 * end of each vector (a CK_HALF_RESULT; both with their `_tail` forms), `target` the function's
 * target attribute (the conversions' features). */
#define CK_HALF_KERNEL(name, fn, params, load, result, target)                                    \
    static target void name(const uint16_t *x, uint16_t *y, size_t n)                             \
    {                                                                                             \
        size_t i = 0;                                                                             \
        for (; i + 2 * VL <= n; i += 2 * VL) {                                                    \
            vf a = load(x + i), b = load(x + i + VL);                                             \
            result(y + i, fn(a, &params), a);                                                     \
            result(y + i + VL, fn(b, &params), b);                                                \
        }                                                                                         \
        if (i + VL <= n) {                                                                        \
            vf a = load(x + i);                                                                   \
            result(y + i, fn(a, &params), a);                                                     \
            i += VL;                                                                              \
        }                                                                                         \
        if (i < n) {                                                                              \
            vf a = load##_tail(x + i, n - i);                                                     \
            result##_tail(y + i, fn(a, &params), a, n - i);                                       \
        }                                                                                         \
    }

/* The six kernels of one format, named <function>_<tier>_<suffix>, and their table. */
#define CK_HALF_KERNELS(suffix, load, result, target)                                              \
    CK_HALF_KERNEL(sigmoid_precise_##suffix, ck_sigmoid_v, CK_SIGMOID_PRECISE, load, result, target) \
    CK_HALF_KERNEL(sigmoid_fast_##suffix, ck_sigmoid_v, CK_SIGMOID_FAST, load, result, target)     \
    CK_HALF_KERNEL(sigmoid_approximate_##suffix, ck_sigmoid_v, CK_SIGMOID_APPROXIMATE, load, result, target) \
    CK_HALF_KERNEL(tanh_precise_##suffix, ck_tanh_v, CK_TANH_PRECISE, load, result, target)        \
    CK_HALF_KERNEL(tanh_fast_##suffix, ck_tanh_v, CK_TANH_FAST, load, result, target)              \
    CK_HALF_KERNEL(tanh_approximate_##suffix, ck_tanh_v, CK_TANH_APPROXIMATE, load, result, target)
#define CK_HALF_TABLE(suffix)                                                                     \
    {                                                                                             \
        { sigmoid_precise_##suffix, sigmoid_fast_##suffix, sigmoid_approximate_##suffix },        \
        { tanh_precise_##suffix, tanh_fast_##suffix, tanh_approximate_##suffix },                 \
    }

CK_HALF_KERNELS(bf16, vf_load_bf16, ck_result_bf16, CK_HALF_TARGET)
CK_HALF_KERNELS(f16, vf_load_f16, ck_result_f16, CK_HALF_TARGET)

/* y[i] = t[x[i]]: the results of a half kernel, tabulated over its 65,536 inputs, looked up. The
 * layers with a gather define a CK_LOOKUP_BLOCK; the rest (and every tail) index one by one, through
 * memcpy as the API takes any byte address. */
static CK_HALF_TARGET void half_lookup(const uint16_t *t, const uint16_t *x, uint16_t *y, size_t n)
{
    size_t i = 0;
#ifdef CK_LOOKUP_BLOCK
    for (; i + CK_LOOKUP_BLOCK <= n; i += CK_LOOKUP_BLOCK)
        ck_lookup_block(t, x + i, y + i);
#endif
    for (; i < n; ++i) {
        uint16_t h;
        memcpy(&h, (const void *)(x + i), sizeof h);
        memcpy((void *)(y + i), &t[h], sizeof h);
    }
}

#endif
