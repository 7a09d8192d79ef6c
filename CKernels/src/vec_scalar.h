/* The vector layer, scalar instance: one lane, portable C. Every kernel runs on it unchanged, so the
 * fallback path computes exactly what the wide paths compute, lane for lane. */
#ifndef CK_VEC_H
#define CK_VEC_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#define CK_TARGET
#define CK_ISA_SUFFIX scalar
#define VL 1

typedef float vf;

static inline uint32_t ck_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float ck_float(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

static inline vf vf_set(float c) { return c; }
static inline vf vf_load(const float *p) { return *p; }
static inline void vf_store(float *p, vf v) { *p = v; }
static inline vf vf_load_tail(const float *p, size_t k) { (void)k; return *p; }
static inline void vf_store_tail(float *p, vf v, size_t k) { (void)k; *p = v; }
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

#endif
