/* Fused LSTM and GRU gate updates, forward and backward, written once against the vector layer and
 * instantiated per ISA by instantiate.h. The gate activations are the activation kernels' own cores
 * (ck_sigmoid_v / ck_tanh_v with the tier's polynomial), so they carry exactly the tier's bounds.
 * Arguments are checked by ck_gates_api.c; these functions trust them.
 *
 * Forward works on one row at a time in blocks of CK_GATE_BLOCK hidden columns, in short loops:
 * the four independent gate activations, then the cell update, then h = o tanh(c). One loop doing
 * all five activations per vector would be a dependency chain too long for the out-of-order
 * window (measured ~3x slower); each block's gates stay in L1 between the loops (in the workspace
 * when training, in a stack buffer for inference). Each loop touches few arrays, so buffers whose
 * element j shares an L1 set (page-aligned, H a power of two) do not exceed the cache's ways.
 *
 * Workspace layouts (what the backward reads; see ckernels.h):
 *   LSTM: gates[B][4H] activated, in the caller's gate order, then tanh(c)[B][H]
 *   GRU:  gates[B][3H] = r, z, n activated, then hn[B][H] (the hidden projection of n)
 * The gate sections have dZ's (dX's) layout, so the gradient may overwrite them in place: every
 * element is read before the same element is written.
 *
 * The large per-step tensors (LSTM: Z, h, dh, dZ; GRU: X, Hg, h_prev, h, dh and the gradients of
 * all four) are float or a half format (ck_tensor_format); c, the workspace and db are always float.
 * Each body takes the format as a constant argument, so an instance's loads and stores of those
 * tensors fold to one conversion each, and the float instances compute the float kernels' bits
 * exactly as before. */
#ifndef CK_GATES_H
#define CK_GATES_H
#include <math.h>

#include "activations.h" /* ck_sigmoid_v, ck_tanh_v */
#include "ck_half_gates.h"  /* ck_tensor_format */

#define CK_GATE_BLOCK 256 /* hidden columns per block: 4 gates x 1 KiB, well inside L1 */

/* Full vector when at least VL elements remain, otherwise the masked tail: the same formula. */
static inline __attribute__((always_inline)) CK_TARGET vf ck_ld(const float *p, size_t k)
{
    return k >= VL ? vf_load(p) : vf_load_tail(p, k);
}
static inline __attribute__((always_inline)) CK_TARGET void ck_st(float *p, vf v, size_t k)
{
    if (k >= VL)
        vf_store(p, v);
    else
        vf_store_tail(p, v, k);
}
/* The gate kernels carry the half conversions' target features (F16C on x86, which every CPU that
 * runs the AVX2 and AVX-512 tables has), so that one body serves float and half-format tensors. */
#define CK_GATE_TARGET CK_HALF_TARGET

/* Element i of a tensor in format f and the vector from it (k lanes valid), widened to float. */
static inline __attribute__((always_inline)) CK_GATE_TARGET vf ck_ldf(ck_tensor_format f, const void *p, size_t i,
                                                                      size_t k)
{
    const uint16_t *q = (const uint16_t *)p + i;
    switch (f) {
    case CK_TENSOR_BF16:
        return k >= VL ? vf_load_bf16(q) : vf_load_bf16_tail(q, k);
    case CK_TENSOR_F16:
        return k >= VL ? vf_load_f16(q) : vf_load_f16_tail(q, k);
    default:
        return ck_ld((const float *)p + i, k);
    }
}
/* Stores v at element i of a tensor in format f, rounded to nearest even for a half format. */
static inline __attribute__((always_inline)) CK_GATE_TARGET void ck_stf(ck_tensor_format f, void *p, size_t i, vf v,
                                                                        size_t k)
{
    uint16_t *q = (uint16_t *)p + i;
    switch (f) {
    case CK_TENSOR_BF16:
        k >= VL ? vf_store_bf16(q, v) : vf_store_bf16_tail(q, v, k);
        break;
    case CK_TENSOR_F16:
        k >= VL ? vf_store_f16(q, v) : vf_store_f16_tail(q, v, k);
        break;
    default:
        ck_st((float *)p + i, v, k);
    }
}
/* The address of element i of a tensor in format f (for prefetches). */
static inline const char *ck_addr(ck_tensor_format f, const void *p, size_t i)
{
    return (const char *)p + i * (f == CK_TENSOR_F32 ? sizeof(float) : sizeof(uint16_t));
}

/* Runs the statements over columns [0, n) a vector at a time, `j` the column and `k` the lanes
 * left: full vectors with k = VL, a constant that folds ck_ld/ck_st into plain loads and stores,
 * then at most one tail pass with k = n - j (masked or padded). */
#define CK_FOR_VECTORS(j, k, n, ...)                                                             \
    do {                                                                                          \
        size_t j = 0;                                                                             \
        for (; j + VL <= (n); j += VL) {                                                          \
            const size_t k = VL;                                                                  \
            __VA_ARGS__                                                                           \
        }                                                                                         \
        if (j < (n)) {                                                                            \
            const size_t k = (n) - j;                                                             \
            __VA_ARGS__                                                                           \
        }                                                                                         \
    } while (0)

/* s(1 - s) = s - s*s, the sigmoid derivative from its output, one rounding */
static inline __attribute__((always_inline)) CK_TARGET vf ck_dsigmoid(vf s) { return vf_fnma(s, s, s); }
/* 1 - t*t, the tanh derivative from its output, one rounding (no cancellation beyond t's own error) */
static inline __attribute__((always_inline)) CK_TARGET vf ck_dtanh(vf t) { return vf_fnma(t, t, vf_set(1.0f)); }

/* Offsets of the i, f, g, o gates in a row of Z (and of dZ and the workspace). */
typedef struct { size_t i, f, g, o; } ck_lstm_offsets;

static inline ck_lstm_offsets ck_lstm_gate_offsets(const ck_lstm_desc *d)
{
    size_t H = d->hidden;
    ck_lstm_offsets off = { 0, H, 2 * H, 3 * H };
    if (d->order == CK_GATES_ICFO) {
        off.f = 2 * H;
        off.g = H;
    }
    return off;
}

/* Clipping bound: cell_clip == 0 means off, i.e. an infinite bound (min/max then change nothing). */
static inline float ck_lstm_clip(const ck_lstm_desc *d) { return d->cell_clip > 0.0f ? d->cell_clip : INFINITY; }

/* ---- LSTM forward ---------------------------------------------------------------------------- */

/* z and h in format `tf` (element indices), the rest float. */
static inline __attribute__((always_inline)) CK_GATE_TARGET void
ck_lstm_forward_body(const ck_lstm_desc *d, ck_tensor_format tf, size_t r0, size_t r1, const void *z,
                     const float *bias, const float *c_prev, float *c, void *h, float *ws, const ck_tier_params *PS,
                     const ck_tier_params *PT)
{
    const size_t H = d->hidden, zs = d->z_stride ? d->z_stride : 4 * H;
    const ck_lstm_offsets off = ck_lstm_gate_offsets(d);
    const float clip = ck_lstm_clip(d);
    const vf fbias = vf_set(d->forget_bias), hi = vf_set(clip), lo = vf_set(-clip);
    float tmp[4 * CK_GATE_BLOCK]; /* inference: one block of activated gates */

    for (size_t r = r0; r < r1; ++r) {
        const size_t zr = r * zs; /* row r of Z */
        for (size_t j0 = 0; j0 < H; j0 += CK_GATE_BLOCK) {
            const size_t n = H - j0 < CK_GATE_BLOCK ? H - j0 : CK_GATE_BLOCK;
            float *gi, *gf, *gg, *go;
            if (ws) {
                float *g = ws + r * 4 * H + j0;
                gi = g + off.i, gf = g + off.f, gg = g + off.g, go = g + off.o;
            } else {
                gi = tmp, gf = tmp + CK_GATE_BLOCK, gg = tmp + 2 * CK_GATE_BLOCK, go = tmp + 3 * CK_GATE_BLOCK;
            }
            /* the next block's preactivations, fetched while this block computes (the divides' long
             * latency leaves the hardware prefetcher behind) */
            const char *znext = j0 + CK_GATE_BLOCK < H ? ck_addr(tf, z, zr + j0 + CK_GATE_BLOCK)
                                : r + 1 < r1        ? ck_addr(tf, z, zr + zs)
                                                    : NULL;
            /* 1: the four independent gate activations; preactivation = (z + b) + forget_bias */
            CK_FOR_VECTORS(j, k, n, {
                const size_t col = j0 + j;
                if (znext) {
                    __builtin_prefetch(ck_addr(tf, znext, off.i + j));
                    __builtin_prefetch(ck_addr(tf, znext, off.f + j));
                    __builtin_prefetch(ck_addr(tf, znext, off.g + j));
                    __builtin_prefetch(ck_addr(tf, znext, off.o + j));
                }
                vf zi = ck_ldf(tf, z, zr + off.i + col, k), zf = ck_ldf(tf, z, zr + off.f + col, k);
                vf zg = ck_ldf(tf, z, zr + off.g + col, k), zo = ck_ldf(tf, z, zr + off.o + col, k);
                if (bias) {
                    zi = vf_add(zi, ck_ld(bias + off.i + col, k));
                    zf = vf_add(zf, ck_ld(bias + off.f + col, k));
                    zg = vf_add(zg, ck_ld(bias + off.g + col, k));
                    zo = vf_add(zo, ck_ld(bias + off.o + col, k));
                }
                ck_st(gi + j, ck_sigmoid_v(zi, PS), k);
                ck_st(gf + j, ck_sigmoid_v(vf_add(zf, fbias), PS), k);
                ck_st(gg + j, ck_tanh_v(zg, PT), k);
                ck_st(go + j, ck_sigmoid_v(zo, PS), k);
            });
            /* 2: c = clip(f c_prev + i g); c_prev is read before c (c == c_prev is fine) */
            CK_FOR_VECTORS(j, k, n, {
                const size_t at = r * H + j0 + j;
                vf i = ck_ld(gi + j, k), f = ck_ld(gf + j, k), g = ck_ld(gg + j, k);
                vf cu = vf_fma(f, ck_ld(c_prev + at, k), vf_mul(i, g));
                ck_st(c + at, vf_min(vf_max(cu, lo), hi), k); /* NaN in cu propagates */
            });
            /* 3: h = o tanh(c) */
            CK_FOR_VECTORS(j, k, n, {
                const size_t at = r * H + j0 + j;
                vf tc = ck_tanh_v(ck_ld(c + at, k), PT);
                ck_stf(tf, h, at, vf_mul(ck_ld(go + j, k), tc), k);
                if (ws)
                    ck_st(ws + d->batch * 4 * H + at, tc, k);
            });
        }
    }
}

/* ---- LSTM backward --------------------------------------------------------------------------- */

/* Rows are taken in groups of CK_GATES_DB_ROWS (by absolute row index) so that db has one fixed
 * summation order: within a group, rows in order from -0; then db += the group's sum, groups in
 * order. A caller that splits the batch at group boundaries and adds per-group partials in order
 * gets the same bits. Inside a group the loop runs over column blocks, then rows, so the group's
 * partial sums fit in a stack buffer. db sums dz as computed in float, before any rounding to dz's
 * format.
 *
 * Each block runs in three loops that touch at most six of the thirteen arrays each: trainers'
 * buffers are typically page-aligned with H a power of two, so element j of every array falls in
 * the same L1 set, and one loop over all thirteen would exceed the cache's 8 ways (measured ~1.5x
 * slower at 1x1024). dc passes between the loops in a stack buffer. */
static inline __attribute__((always_inline)) CK_TARGET void ck_acc(float *acc, vf v, size_t k)
{
    ck_st(acc, vf_add(ck_ld(acc, k), v), k);
}

/* dh and dz in format `tf`, the rest float. */
static inline __attribute__((always_inline)) CK_GATE_TARGET void
ck_lstm_backward_body(const ck_lstm_desc *d, ck_tensor_format tf, size_t r0, size_t r1, const void *dh,
                      const float *dc_next, const float *ws, const float *c_prev, void *dz, float *dc_prev, float *db)
{
    const size_t H = d->hidden;
    const ck_lstm_offsets off = ck_lstm_gate_offsets(d);
    const float nclip = -ck_lstm_clip(d);
    const vf m1 = vf_set(-1.0f);
    const float *tcs = ws + d->batch * 4 * H;
    float acc[4][CK_GATE_BLOCK], dcb[CK_GATE_BLOCK]; /* acc: i, f, g, o */

    for (size_t g0 = r0; g0 < r1;) {
        const size_t next = (g0 / CK_GATES_DB_ROWS + 1) * CK_GATES_DB_ROWS, g1 = next < r1 ? next : r1;
        for (size_t j0 = 0; j0 < H; j0 += CK_GATE_BLOCK) {
            const size_t n = H - j0 < CK_GATE_BLOCK ? H - j0 : CK_GATE_BLOCK;
            if (db)
                for (size_t q = 0; q < 4; ++q)
                    for (size_t j = 0; j < n; ++j)
                        acc[q][j] = -0.0f;
            for (size_t r = g0; r < g1; ++r) {
                const size_t at = r * H + j0, gd = r * 4 * H + j0; /* gd: this block's row of dZ */
                const float *gw = ws + r * 4 * H + j0;
                /* 1: the output gate; dc through h plus the gradient from the next step */
                CK_FOR_VECTORS(j, k, n, {
                    vf o = ck_ld(gw + off.o + j, k), tc = ck_ld(tcs + at + j, k), dhv = ck_ldf(tf, dh, at + j, k);
                    vf dcn = dc_next ? ck_ld(dc_next + at + j, k) : vf_set(0.0f);
                    vf dzo = vf_mul(vf_mul(dhv, tc), ck_dsigmoid(o));
                    ck_st(dcb + j, vf_fma(vf_mul(dhv, o), ck_dtanh(tc), dcn), k);
                    ck_stf(tf, dz, gd + off.o + j, dzo, k);
                    if (db)
                        ck_acc(acc[3] + j, dzo, k);
                });
                /* 2: a clipped c does not depend on the gates or c_prev: zero dc where |c| > clip (c
                 * recomputed exactly as the forward did; NaN passes through); then f and c_prev */
                CK_FOR_VECTORS(j, k, n, {
                    vf i = ck_ld(gw + off.i + j, k), f = ck_ld(gw + off.f + j, k), g = ck_ld(gw + off.g + j, k);
                    vf cp = ck_ld(c_prev + at + j, k);
                    vf cu = vf_fma(f, cp, vf_mul(i, g));
                    vf dc = vf_zero_where_less(ck_ld(dcb + j, k), vf_copysign_nonneg(vf_abs(cu), m1), nclip);
                    vf dzf = vf_mul(vf_mul(dc, cp), ck_dsigmoid(f));
                    ck_st(dcb + j, dc, k);
                    ck_stf(tf, dz, gd + off.f + j, dzf, k);
                    ck_st(dc_prev + at + j, vf_mul(dc, f), k);
                    if (db)
                        ck_acc(acc[1] + j, dzf, k);
                });
                /* 3: the input gate and the candidate */
                CK_FOR_VECTORS(j, k, n, {
                    vf i = ck_ld(gw + off.i + j, k), g = ck_ld(gw + off.g + j, k), dc = ck_ld(dcb + j, k);
                    vf dzi = vf_mul(vf_mul(dc, g), ck_dsigmoid(i));
                    vf dzg = vf_mul(vf_mul(dc, i), ck_dtanh(g));
                    ck_stf(tf, dz, gd + off.i + j, dzi, k);
                    ck_stf(tf, dz, gd + off.g + j, dzg, k);
                    if (db) {
                        ck_acc(acc[0] + j, dzi, k);
                        ck_acc(acc[2] + j, dzg, k);
                    }
                });
            }
            if (db) {
                const size_t at[4] = { off.i, off.f, off.g, off.o };
                for (size_t q = 0; q < 4; ++q)
                    CK_FOR_VECTORS(j, k, n, ck_acc(db + at[q] + j0 + j, ck_ld(acc[q] + j, k), k););
            }
        }
        g0 = g1;
    }
}

/* ---- GRU forward ----------------------------------------------------------------------------- */

/* r = sigma(xr + hr), z = sigma(xz + hz), n = tanh(xn + r hn), h = (1 - z) n + z h_prev, the last
 * as z h_prev + (n - z n): two single-rounding FMAs, exact at z = 0 and z = 1. x, hg, h_prev and h
 * in format `tf` (element indices), the workspace float. */
static inline __attribute__((always_inline)) CK_GATE_TARGET void
ck_gru_forward_body(const ck_gru_desc *d, ck_tensor_format tf, size_t r0, size_t r1, const void *x, const void *hg,
                    const void *h_prev, void *h, float *ws, const ck_tier_params *PS, const ck_tier_params *PT)
{
    const size_t H = d->hidden;
    float tmp[2 * CK_GATE_BLOCK]; /* inference: one block of r and z */

    for (size_t r = r0; r < r1; ++r) {
        const size_t row = r * 3 * H; /* row r of X and Hg */
        for (size_t j0 = 0; j0 < H; j0 += CK_GATE_BLOCK) {
            const size_t n = H - j0 < CK_GATE_BLOCK ? H - j0 : CK_GATE_BLOCK;
            float *gr = ws ? ws + r * 3 * H + j0 : tmp, *gz = ws ? gr + H : tmp + CK_GATE_BLOCK;
            CK_FOR_VECTORS(j, k, n, {
                const size_t col = row + j0 + j;
                ck_st(gr + j, ck_sigmoid_v(vf_add(ck_ldf(tf, x, col, k), ck_ldf(tf, hg, col, k)), PS), k);
                ck_st(gz + j, ck_sigmoid_v(vf_add(ck_ldf(tf, x, H + col, k), ck_ldf(tf, hg, H + col, k)), PS), k);
            });
            CK_FOR_VECTORS(j, k, n, {
                const size_t col = row + j0 + j, at = r * H + j0 + j;
                vf rv = ck_ld(gr + j, k), zv = ck_ld(gz + j, k), hn = ck_ldf(tf, hg, 2 * H + col, k);
                vf nv = ck_tanh_v(vf_fma(rv, hn, ck_ldf(tf, x, 2 * H + col, k)), PT);
                ck_stf(tf, h, at, vf_fma(zv, ck_ldf(tf, h_prev, at, k), vf_fnma(zv, nv, nv)), k);
                if (ws) {
                    ck_st(gr + 2 * H + j, nv, k);
                    ck_st(ws + d->batch * 3 * H + at, hn, k);
                }
            });
        }
    }
}

/* ---- GRU backward ---------------------------------------------------------------------------- */

/* Two loops per block, each touching at most seven arrays (see the LSTM backward for why). dh,
 * h_prev, dx, dhg and dh_prev in format `tf`, the workspace float. */
static inline __attribute__((always_inline)) CK_GATE_TARGET void
ck_gru_backward_body(const ck_gru_desc *d, ck_tensor_format tf, size_t r0, size_t r1, const void *dh, const float *ws,
                     const void *h_prev, void *dx, void *dhg, void *dh_prev)
{
    const size_t H = d->hidden;
    const float *hns = ws + d->batch * 3 * H;
    float danb[CK_GATE_BLOCK];
    for (size_t r = r0; r < r1; ++r) {
        for (size_t j0 = 0; j0 < H; j0 += CK_GATE_BLOCK) {
            const size_t n = H - j0 < CK_GATE_BLOCK ? H - j0 : CK_GATE_BLOCK, at = r * H + j0;
            const size_t g = r * 3 * H + j0; /* this block's row of dX and dHg */
            const float *gw = ws + r * 3 * H + j0;
            /* 1: the update gate, h_prev's direct part, and the candidate's preactivation gradient */
            CK_FOR_VECTORS(j, k, n, {
                vf zv = ck_ld(gw + H + j, k), nv = ck_ld(gw + 2 * H + j, k);
                vf hp = ck_ldf(tf, h_prev, at + j, k), dhv = ck_ldf(tf, dh, at + j, k);
                vf daz = vf_mul(vf_mul(dhv, vf_sub(hp, nv)), ck_dsigmoid(zv)); /* dh (h_prev - n) sigma'(z) */
                ck_st(danb + j, vf_mul(vf_fnma(dhv, zv, dhv), ck_dtanh(nv)), k); /* dh (1 - z) tanh'(n) */
                ck_stf(tf, dx, g + H + j, daz, k);
                ck_stf(tf, dhg, g + H + j, daz, k);
                ck_stf(tf, dh_prev, at + j, vf_mul(dhv, zv), k);
            });
            /* 2: the reset gate and the candidate */
            CK_FOR_VECTORS(j, k, n, {
                vf rv = ck_ld(gw + j, k), hn = ck_ld(hns + at + j, k), dan = ck_ld(danb + j, k);
                vf dar = vf_mul(vf_mul(dan, hn), ck_dsigmoid(rv));
                ck_stf(tf, dx, g + j, dar, k);
                ck_stf(tf, dhg, g + j, dar, k);
                ck_stf(tf, dx, g + 2 * H + j, dan, k);
                ck_stf(tf, dhg, g + 2 * H + j, vf_mul(dan, rv), k);
            });
        }
    }
}

/* ---- the instances: per tensor format, per tier (instantiate.h and isa_avx512_bf16.c make them) -- */

/* The forward kernels of one tier with tensors of type T in format `fmt`, named <kernel>_<tier><suffix>. */
#define CK_GATE_FORWARDS(tier, PS, PT, suffix, fmt, T)                                                      \
    static CK_GATE_TARGET void lstm_forward_##tier##suffix(const ck_lstm_desc *d, size_t r0, size_t r1,     \
                                                           const T *z, const float *bias, const float *c_prev, \
                                                           float *c, T *h, float *ws)                       \
    {                                                                                                        \
        ck_lstm_forward_body(d, fmt, r0, r1, z, bias, c_prev, c, h, ws, &PS, &PT);                           \
    }                                                                                                        \
    static CK_GATE_TARGET void gru_forward_##tier##suffix(const ck_gru_desc *d, size_t r0, size_t r1,       \
                                                          const T *x, const T *hg, const T *h_prev, T *h,   \
                                                          float *ws)                                         \
    {                                                                                                        \
        ck_gru_forward_body(d, fmt, r0, r1, x, hg, h_prev, h, ws, &PS, &PT);                                 \
    }

/* The forward kernels of every tier for tensors of type T in format `fmt`. */
#define CK_GATE_FORWARD_TIERS(suffix, fmt, T)                                                                \
    CK_GATE_FORWARDS(precise, CK_SIGMOID_PRECISE, CK_TANH_PRECISE, suffix, fmt, T)                           \
    CK_GATE_FORWARDS(fast, CK_SIGMOID_FAST, CK_TANH_FAST, suffix, fmt, T)                                    \
    CK_GATE_FORWARDS(approximate, CK_SIGMOID_APPROXIMATE, CK_TANH_APPROXIMATE, suffix, fmt, T)

/* Every kernel for tensors of type T in format `fmt`; the backward kernels use the saved
 * activations, so they have no tier. */
#define CK_GATE_KERNELS(suffix, fmt, T)                                                                      \
    CK_GATE_FORWARD_TIERS(suffix, fmt, T)                                                                    \
    static CK_GATE_TARGET void lstm_backward##suffix(const ck_lstm_desc *d, size_t r0, size_t r1,           \
                                                     const T *dh, const float *dc_next, const float *ws,     \
                                                     const float *c_prev, T *dz, float *dc_prev, float *db)  \
    {                                                                                                        \
        ck_lstm_backward_body(d, fmt, r0, r1, dh, dc_next, ws, c_prev, dz, dc_prev, db);                     \
    }                                                                                                        \
    static CK_GATE_TARGET void gru_backward##suffix(const ck_gru_desc *d, size_t r0, size_t r1, const T *dh, \
                                                    const float *ws, const T *h_prev, T *dx, T *dhg,         \
                                                    T *dh_prev)                                              \
    {                                                                                                        \
        ck_gru_backward_body(d, fmt, r0, r1, dh, ws, h_prev, dx, dhg, dh_prev);                              \
    }

/* The forward kernels of one half format, as a ck_half_gate_forwards. */
#define CK_HALF_GATE_FORWARDS(suffix)                                                                        \
    {                                                                                                        \
        { lstm_forward_precise##suffix, lstm_forward_fast##suffix, lstm_forward_approximate##suffix },       \
        { gru_forward_precise##suffix, gru_forward_fast##suffix, gru_forward_approximate##suffix },          \
    }
/* The kernels of one half format, as a ck_half_gate_kernels. */
#define CK_HALF_GATE_TABLE(suffix) { CK_HALF_GATE_FORWARDS(suffix), lstm_backward##suffix, gru_backward##suffix }
#endif
