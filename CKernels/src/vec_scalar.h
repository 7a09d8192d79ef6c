/* The vector layer, scalar instance: one lane, portable C. Every kernel runs on it unchanged, so the
 * fallback path computes exactly what the wide paths compute, lane for lane. */
#ifndef CK_VEC_H
#define CK_VEC_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#define CK_TARGET
#define CK_HALF_TARGET
#define CK_ISA_SUFFIX scalar
#define VL 1

typedef float vf;

static inline uint32_t ck_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float ck_float(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

static inline vf vf_set(float c) { return c; }
/* memcpy, not *p: the API accepts any byte address, and a float access at an odd one is undefined
 * (compilers still emit one plain load or store). The void * casts drop the float type, from which
 * clang's UBSan would otherwise demand 4-byte alignment of memcpy's argument too. */
static inline vf vf_load(const float *p) { vf v; memcpy(&v, (const void *)p, sizeof v); return v; }
static inline void vf_store(float *p, vf v) { memcpy((void *)p, &v, sizeof v); }
static inline vf vf_load_tail(const float *p, size_t k) { (void)k; return vf_load(p); }
static inline void vf_store_tail(float *p, vf v, size_t k) { (void)k; vf_store(p, v); }
static inline vf vf_add(vf a, vf b) { return a + b; }
static inline vf vf_sub(vf a, vf b) { return a - b; }
static inline vf vf_mul(vf a, vf b) { return a * b; }
static inline vf vf_div(vf a, vf b) { return a / b; }
static inline vf vf_fma(vf a, vf b, vf c) { return fmaf(a, b, c); }
static inline vf vf_fnma(vf a, vf b, vf c) { return fmaf(-a, b, c); }
/* min/max that return `a` when it is NaN (x86 MINPS semantics with `a` second) */
static inline vf vf_min(vf a, vf c) { return c < a ? c : a; }
static inline vf vf_max(vf a, vf c) { return c > a ? c : a; }
static inline vf vf_abs(vf a) { return ck_float(ck_bits(a) & 0x7fffffffu); }
static inline vf vf_copysign_nonneg(vf mag, vf sign) { return ck_float(ck_bits(mag) | (ck_bits(sign) & 0x80000000u)); }
/* x limited to [lo, hi], NaN kept */
static inline vf vf_clamp(vf x, float lo, float hi) { return vf_max(vf_min(x, hi), lo); }
static inline vf vf_zero_where_less(vf y, vf x, float c) { return x < c ? 0.0f : y; }
/* 2^n from the magic shifter t = n + 127 + 1.5*2^23 (the low bits of t hold n + 127) */
static inline vf vf_pow2_from_magic(vf t) { return ck_float(ck_bits(t) << 23); }
/* table[bits(t) & 31] */
static inline vf vf_lookup32(const float *table, vf t) { return table[ck_bits(t) & 31u]; }
/* p * 2^floor(n) for t = n + (1.5*2^18 + 127): t's bits shifted left by 18 hold floor(n) + 127 in the
 * exponent field (and 5 table-index bits below it, masked off) */
static inline vf vf_scale_pow2_floor(vf p, vf n, vf t) { (void)n; return p * ck_float((ck_bits(t) << 18) & 0x7f800000u); }
/* c - p where x has its sign bit set, p elsewhere */
static inline vf vf_reflect_where_negative(vf p, vf x, float c) { return ck_bits(x) >> 31 ? c - p : p; }

/* ---- half-format storage: bf16 and IEEE binary16 bit patterns ------------------------------
 * Widening is exact. Narrowing rounds to nearest even, keeps subnormal results, and turns NaN into
 * a quiet NaN with the top payload bits: bit for bit what F16C, NEON's FCVTN, AVX512-BF16's
 * vcvtneps2bf16 (with the subnormal fix-up of vec_avx512.h) and FEAT_BF16's BFCVTN (with the
 * fall-back of vec_neon.h) produce, so every ISA agrees. */
static inline uint16_t ck_bf16_round(uint32_t u)
{
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
static inline float ck_f16_widen(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1f) /* inf, or NaN made quiet as the hardware conversions do */
        return ck_float(sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0u));
    if (e == 0) /* zero or subnormal: m 2^-24, exact (a normal float) */
        return ck_float(sign | ck_bits((float)m * 0x1p-24f));
    return ck_float(sign | ((e + 112u) << 23) | (m << 13));
}
static inline uint16_t ck_f16_round(float f)
{
    uint32_t u = ck_bits(f), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    if (a > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x477ff000u) /* 65520 and above round to inf */
        return (uint16_t)(sign | 0x7c00u);
    if (a >= 0x38800000u) { /* a normal half: rebias the exponent, round off 13 bits */
        uint32_t r = a - 0x38000000u;
        return (uint16_t)(sign | ((r + 0xfffu + ((r >> 13) & 1u)) >> 13));
    }
    if (a <= 0x33000000u) /* at most 2^-25, half the smallest subnormal: the even neighbour is 0 */
        return (uint16_t)sign;
    uint32_t m = (a & 0x7fffffu) | 0x800000u, s = 126u - (a >> 23); /* a = m 2^-s in units of 2^-24 */
    uint32_t q = m >> s, rest = m & ((1u << s) - 1u), half = 1u << (s - 1u);
    return (uint16_t)(sign | (q + (rest > half || (rest == half && (q & 1u)))));
}

/* memcpy, as vf_load: a uint16_t access at an odd byte address is undefined */
static inline uint16_t ck_load_u16(const uint16_t *p) { uint16_t h; memcpy(&h, (const void *)p, sizeof h); return h; }
static inline void ck_store_u16(uint16_t *p, uint16_t h) { memcpy((void *)p, &h, sizeof h); }
static inline vf vf_load_bf16(const uint16_t *p) { return ck_float((uint32_t)ck_load_u16(p) << 16); }
static inline vf vf_load_bf16_tail(const uint16_t *p, size_t k) { (void)k; return vf_load_bf16(p); }
static inline void vf_store_bf16(uint16_t *p, vf v) { ck_store_u16(p, ck_bf16_round(ck_bits(v))); }
static inline void vf_store_bf16_tail(uint16_t *p, vf v, size_t k) { (void)k; vf_store_bf16(p, v); }
static inline vf vf_load_f16(const uint16_t *p) { return ck_f16_widen(ck_load_u16(p)); }
static inline vf vf_load_f16_tail(const uint16_t *p, size_t k) { (void)k; return vf_load_f16(p); }
static inline void vf_store_f16(uint16_t *p, vf v) { ck_store_u16(p, ck_f16_round(v)); }
static inline void vf_store_f16_tail(uint16_t *p, vf v, size_t k) { (void)k; vf_store_f16(p, v); }
/* y, with x in the lanes where y is NaN: the half kernels' NaN results are their NaN inputs (quieted
 * by the narrowing), whichever NaN the float algorithm propagated (that differs between ISAs) */
static inline vf vf_nan_to_input(vf y, vf x) { return y != y ? x : y; }

#endif
