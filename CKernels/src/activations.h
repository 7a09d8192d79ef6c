/* Sigmoid and tanh, written once against the vector layer (vec_*.h) and instantiated per ISA by the
 * isa_*.c files (through instantiate.h). Constants: coefficients.h, made by
 * scripts/fit_coefficients.py --c.
 *
 * The precise and fast tiers come from one reduction e^(c*u) = 2^n (1 + c w(r)) (see the script),
 * with the 1 +- e^(c*u) that they need formed straight from 2^n and w by FMAs, so each carries one
 * rounding:
 *     sigmoid(x) = 1 / (1 + e^-x)                            c = -1, u = x
 *     tanh(|x|)  = num / (2 - num),  num = 1 - e^-2a         c = -2, u = a = |x|
 * Every step is monotone in float arithmetic (rounding is monotone; the numerator never decreases
 * and the denominator never increases as x grows): that is what makes the results monotone.
 * The fast sigmoid takes e^-x from a 32-entry table of 2^(j/32) and a degree-2 polynomial instead
 * (ck_exp_neg_table); its monotonicity is not argued step by step but proven by the exhaustive sweep.
 * The approximate tiers need no e^x: a quadratic per piece of |x| (ck_piecewise_abs). */
#ifndef CK_ACTIVATIONS_H
#define CK_ACTIVATIONS_H
#include "coefficients.h"

typedef struct { vf sc, w; } ck_exp_parts;

/* e^(c*u) = (sc/|c|) (1 + c*w) with sc = |c|*2^n, for u with |c*u*log2(e)| <= 126 */
static inline __attribute__((always_inline)) CK_TARGET ck_exp_parts ck_exp_reduce(vf u, const ck_tier_params *P)
{
    vf t = vf_fma(u, vf_set(P->log2e_c), vf_set(P->magic));
    vf n = vf_sub(t, vf_set(P->magic));
    vf r = vf_fma(n, vf_set(P->ln2_hi), u);
    if (P->ln2_lo != 0.0f)
        r = vf_fma(n, vf_set(P->ln2_lo), r);
    vf q = vf_set(P->s[P->degree]);
    for (int j = P->degree - 1; j >= 0; --j)
        q = vf_fma(q, r, vf_set(P->s[j]));
    ck_exp_parts e = { vf_pow2_from_magic(t), vf_fma(vf_mul(r, r), q, r) };
    return e;
}

/* e^-x for the table form (P->table set): 2^floor(k/32) (T_j + (T_j r + lo_j/q1)(q1 + q2 r)), k/32 = n.
 * Fewer operations than the polynomial (the table holds what its high terms would compute): it is
 * the fast tier's sigmoid. */
static inline __attribute__((always_inline)) CK_TARGET vf ck_exp_neg_table(vf x, const ck_tier_params *P)
{
    vf t = vf_fma(x, vf_set(P->log2e_c), vf_set(P->magic));
    vf n = vf_sub(t, vf_set(P->magic));
    vf r = vf_fma(n, vf_set(P->ln2_hi), x);
    r = vf_fma(n, vf_set(P->ln2_lo), r);
    vf hi = vf_lookup32(P->table, t);
    vf u = vf_fma(hi, r, vf_lookup32(P->table + 32, t));
    vf p = vf_fma(u, vf_fma(vf_set(P->s[1]), r, vf_set(P->s[0])), hi);
    return vf_scale_pow2_floor(p, n, t);
}

/* The approximate tiers: a quadratic per piece of a = |x| (coefficients by table lookup), no division.
 * Each step is monotone and the pieces meet in upward steps (scripts/fit_coefficients.py), so the
 * results are monotone. */
static inline __attribute__((always_inline)) CK_TARGET vf ck_piecewise_abs(vf x, const ck_pieces *P)
{
    const vf magic = vf_set(0x1.8p23f); /* t = a*scale + magic rounds to k, held in t's low bits */
    vf a = vf_min(vf_abs(x), vf_set(P->clamp));
    vf t = vf_fma(a, vf_set(P->scale), magic);
    vf d = vf_fma(vf_sub(t, magic), vf_set(P->inv_scale), vf_sub(vf_set(P->half_inv_scale), a)); /* >= 0 */
    vf v = vf_fma(vf_lookup32(P->c[2], t), d, vf_lookup32(P->c[1], t));
    return vf_fnma(v, d, vf_lookup32(P->c[0], t));
}

static inline __attribute__((always_inline)) CK_TARGET vf ck_sigmoid_v(vf x, const ck_tier_params *P)
{
    if (P->pieces) /* sigmoid(-a) = 1 - sigmoid(a) */
        return vf_reflect_where_negative(ck_piecewise_abs(x, P->pieces), x, 1.0f);
    /* Clamped on both sides, so that no lane overflows or forms inf - inf (the flags promise of
     * ckernels.h): lanes below the flush point compute sigmoid(FLUSH_BELOW), zeroed at the end.
     * NaN passes both clamps. */
    vf u = vf_clamp(x, CK_SIGMOID_FLUSH_BELOW, CK_SIGMOID_CLAMP_HI);
    if (P->table) {
        vf den = vf_add(vf_set(1.0f), ck_exp_neg_table(u, P));
        return vf_zero_where_less(vf_div(vf_set(1.0f), den), x, CK_SIGMOID_FLUSH_BELOW);
    }
    ck_exp_parts e = ck_exp_reduce(u, P);
    vf one = vf_set(1.0f);
    vf den = vf_fnma(e.sc, e.w, vf_add(one, e.sc)); /* 1 + e^-x = (1 + s) - s w,  sc = s */
    /* below the flush point the true result is subnormal: 0, as docs/design.md allows */
    return vf_zero_where_less(vf_div(one, den), x, CK_SIGMOID_FLUSH_BELOW);
}

static inline __attribute__((always_inline)) CK_TARGET vf ck_tanh_v(vf x, const ck_tier_params *P)
{
    if (P->pieces)
        return vf_copysign_nonneg(ck_piecewise_abs(x, P->pieces), x);
    ck_exp_parts e = ck_exp_reduce(vf_min(vf_abs(x), vf_set(CK_TANH_CLAMP_HI)), P);
    /* 1 - e^-2a = (1 - s) + 2 s w,  sc = 2s */
    vf num = vf_fma(e.sc, e.w, vf_fma(e.sc, vf_set(-0.5f), vf_set(1.0f)));
    /* 1 + e^-2a = 2 - num: one subtraction instead of a second FMA chain */
    return vf_copysign_nonneg(vf_div(num, vf_sub(vf_set(2.0f), num)), x); /* exactly odd */
}

/* One elementwise loop for every unary kernel: pairs of full vectors (two independent chains, so
 * that one chain's divide or table lookup overlaps the other's FMAs), then one vector, then one
 * masked (or padded) tail that runs the same formula. y == x is fine: each block is loaded before
 * it is stored. */
#define CK_UNARY_KERNEL(name, fn, params)                                                         \
    static CK_TARGET void name(const float *x, float *y, size_t n)                                \
    {                                                                                             \
        size_t i = 0;                                                                             \
        for (; i + 2 * VL <= n; i += 2 * VL) {                                                    \
            vf a = vf_load(x + i), b = vf_load(x + i + VL);                                       \
            vf_store(y + i, fn(a, &params));                                                        \
            vf_store(y + i + VL, fn(b, &params));                                                   \
        }                                                                                         \
        if (i + VL <= n) {                                                                        \
            vf_store(y + i, fn(vf_load(x + i), &params));                                           \
            i += VL;                                                                              \
        }                                                                                         \
        if (i < n)                                                                                \
            vf_store_tail(y + i, fn(vf_load_tail(x + i, n - i), &params), n - i);                   \
    }

#endif
