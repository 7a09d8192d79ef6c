/* The vector layer, AArch64 Advanced SIMD (NEON) instance: 4 lanes. NEON with FMA is part of every
 * AArch64 CPU, so no target attribute is needed. NEON has no masked loads or stores: tails go through
 * a zero-padded copy in a small stack buffer, touching only the k valid floats of the caller's. */
#ifndef CK_VEC_H
#define CK_VEC_H
#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#define CK_TARGET
#define CK_ISA_SUFFIX neon
#define VL 4

typedef float32x4_t vf;

static inline vf vf_set(float c) { return vdupq_n_f32(c); }
/* byte loads and stores: the API accepts any byte address, and vld1q_f32 on a float * at an odd one
 * is undefined in C (the instruction is the same LD1/ST1 either way) */
static inline vf vf_load(const float *p) { return vreinterpretq_f32_u8(vld1q_u8((const uint8_t *)(const void *)p)); }
static inline void vf_store(float *p, vf v) { vst1q_u8((uint8_t *)(void *)p, vreinterpretq_u8_f32(v)); }
/* the same for four 16-bit bit patterns */
static inline uint16x4_t ck_load_u16x4(const uint16_t *p) { return vreinterpret_u16_u8(vld1_u8((const uint8_t *)(const void *)p)); }
static inline void ck_store_u16x4(uint16_t *p, uint16x4_t v) { vst1_u8((uint8_t *)(void *)p, vreinterpret_u8_u16(v)); }
static inline vf vf_load_tail(const float *p, size_t k)
{
    float b[VL] = { 0 };
    memcpy(b, (const void *)p, k * sizeof(float)); /* void *: see vec_scalar.h */
    return vld1q_f32(b);
}
static inline void vf_store_tail(float *p, vf v, size_t k)
{
    float b[VL];
    vst1q_f32(b, v);
    memcpy((void *)p, b, k * sizeof(float));
}
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vf_div(vf a, vf b) { return vdivq_f32(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf vf_fnma(vf a, vf b, vf c) { return vfmsq_f32(c, a, b); }
/* FMIN/FMAX differ from the x86 MINPS semantics the algorithms assume (-0 vs +0 order, a NaN in
 * `c`, signalling NaNs), so select explicitly: `c` only where it compares below/above `a`, else `a`
 * (hence `a` when either is NaN), bit for bit what the other ISAs return. */
static inline vf vf_min(vf a, vf c) { return vbslq_f32(vcltq_f32(c, a), c, a); }
static inline vf vf_max(vf a, vf c) { return vbslq_f32(vcgtq_f32(c, a), c, a); }
static inline vf vf_abs(vf a) { return vabsq_f32(a); }
static inline vf vf_copysign_nonneg(vf mag, vf sign)
{
    return vbslq_f32(vdupq_n_u32(0x80000000u), sign, mag); /* one BIT/BIF */
}
/* x limited to [lo, hi], NaN kept */
static inline vf vf_clamp(vf x, float lo, float hi) { return vf_max(vf_min(x, vf_set(hi)), vf_set(lo)); }
static inline vf vf_zero_where_less(vf y, vf x, float c)
{
    /* an unordered compare is false, so a NaN x keeps y */
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(y), vcltq_f32(x, vdupq_n_f32(c))));
}
static inline vf vf_pow2_from_magic(vf t)
{
    return vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(t), 23));
}
/* table[bits(t) & 31] in every lane: the 128-byte table in two 64-byte TBL lookups (an index past
 * a lookup's 64 bytes gives 0 there, so OR joins the halves) */
static inline vf vf_lookup32(const float *table, vf t)
{
    uint32x4_t j = vandq_u32(vreinterpretq_u32_f32(t), vdupq_n_u32(31));
    /* the byte indices 4j, 4j + 1, 4j + 2, 4j + 3 of each lane's float */
    uint8x16_t b = vreinterpretq_u8_u32(vmlaq_n_u32(vdupq_n_u32(0x03020100u), j, 0x04040404u));
    uint8x16x4_t lo = vld1q_u8_x4((const uint8_t *)table), hi = vld1q_u8_x4((const uint8_t *)(table + 16));
    return vreinterpretq_f32_u8(vorrq_u8(vqtbl4q_u8(lo, b), vqtbl4q_u8(hi, vsubq_u8(b, vdupq_n_u8(64)))));
}
/* p * 2^floor(n) for t = n + (1.5*2^18 + 127): t's bits shifted left by 18 hold floor(n) + 127 in the
 * exponent field (and 5 table-index bits below it, masked off) */
static inline vf vf_scale_pow2_floor(vf p, vf n, vf t)
{
    (void)n;
    uint32x4_t e = vandq_u32(vshlq_n_u32(vreinterpretq_u32_f32(t), 18), vdupq_n_u32(0x7f800000u));
    return vmulq_f32(p, vreinterpretq_f32_u32(e));
}
/* c - p in the lanes where x has its sign bit set, p elsewhere */
static inline vf vf_reflect_where_negative(vf p, vf x, float c)
{
    uint32x4_t negative = vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_f32(x), 31));
    return vbslq_f32(negative, vsubq_f32(vdupq_n_f32(c), p), p);
}

/* ---- half-format storage (bf16, IEEE binary16 as uint16_t bit patterns) --------------------
 * f16 through FCVTL/FCVTN (every AArch64 CPU; rounding to nearest even under the default FPCR);
 * bf16 widens by a shift and narrows by the integer round-to-nearest-even of vec_scalar.h's
 * ck_bf16_round. Where the CPU has FEAT_BF16 (ck_cpu_has_bf16), isa_neon.c instantiates the bf16
 * activations again with ck_result_bf16_native, and isa_neon_bf16.c the bf16 gate forwards with
 * CK_BF16_NATIVE defined before this header: there the half kernels carry +bf16 and vf_store_bf16
 * narrows with ck_round_bf16_native (BFCVTN). Tails through a zero-padded copy on the stack, as
 * for floats. "arch=armv8.2-a+bf16" is the form both gcc 12 and clang accept ("+bf16" alone makes
 * gcc 12 refuse to inline arm_neon.h's bf16 intrinsics); FEAT_BF16 implies Armv8.2. */
#define CK_BF16_NATIVE_TARGET __attribute__((target("arch=armv8.2-a+bf16")))
#ifdef CK_BF16_NATIVE
#define CK_HALF_TARGET CK_BF16_NATIVE_TARGET
#else
#define CK_HALF_TARGET
#endif

static inline uint16x4_t ck_load_u16x4_tail(const uint16_t *p, size_t k)
{
    uint16_t b[VL] = { 0 };
    memcpy(b, (const void *)p, k * sizeof *p);
    return vld1_u16(b);
}
static inline void ck_store_u16x4_tail(uint16_t *p, uint16x4_t v, size_t k)
{
    uint16_t b[VL];
    vst1_u16(b, v);
    memcpy((void *)p, b, k * sizeof *p);
}
static inline vf ck_widen_bf16(uint16x4_t h) { return vreinterpretq_f32_u32(vshll_n_u16(h, 16)); }
static inline uint16x4_t ck_round_bf16(vf v)
{
    uint32x4_t u = vreinterpretq_u32_f32(v);
    uint32x4_t rounded = vaddq_u32(u, vsraq_n_u32(vdupq_n_u32(0x7fff), vshlq_n_u32(u, 15), 31));
    uint32x4_t quiet = vorrq_u32(u, vdupq_n_u32(0x400000));
    return vshrn_n_u32(vbslq_u32(vceqq_f32(v, v), rounded, quiet), 16);
}
/* ck_round_bf16's bits through BFCVTN. BFCVTN rounds as FPCR says: to nearest even in the default
 * round-to-nearest mode the library assumes (ckernels.h), a NaN quieted with its top payload bits
 * as ck_round_bf16 does; but FPCR.FZ (the caller's FTZ), FIZ and AH flush a subnormal input to
 * zero, FPCR.DN makes every NaN the default NaN, and a finite input that rounds to infinity raises
 * FE_OVERFLOW, which the integer rounding and vcvtneps2bf16 do not. So a vector with a lane that is
 * subnormal or at least 0x1.ffp127 in magnitude (infinities and NaNs included) takes the integer
 * rounding: two integer compares on the magnitude's bits, whatever the FPCR. ck_test.c compares
 * the two under each of those FPCR settings. */
static inline CK_BF16_NATIVE_TARGET uint16x4_t ck_round_bf16_native(vf v)
{
    uint32x4_t twice = vshlq_n_u32(vreinterpretq_u32_f32(v), 1); /* the magnitude's bits, shifted left */
    uint32x4_t subnormal = vcltq_u32(vsubq_u32(twice, vdupq_n_u32(1)), vdupq_n_u32(0xffffff));
    uint32x4_t rounds_to_inf = vcgeq_u32(twice, vdupq_n_u32(0xfeff0000)); /* |v| >= 0x7f7f8000: or inf, NaN */
    uint32x4_t special = vorrq_u32(subnormal, rounds_to_inf);
    /* BFCVTN of v with those lanes zeroed: compilers do not model the flags of intrinsics and may run
     * it before the test (gcc -O1 does), so it must not see a lane that raises FE_OVERFLOW */
    bfloat16x4_t native = vcvt_bf16_f32(vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(v), special)));
    if (__builtin_expect(vmaxvq_u32(special) != 0, 0))
        return ck_round_bf16(v);
    return vreinterpret_u16_bf16(native);
}
/* the bf16 narrowing of this translation unit's kernels */
static inline CK_HALF_TARGET uint16x4_t ck_narrow_bf16(vf v)
{
#ifdef CK_BF16_NATIVE
    return ck_round_bf16_native(v);
#else
    return ck_round_bf16(v);
#endif
}
static inline vf vf_load_bf16(const uint16_t *p) { return ck_widen_bf16(ck_load_u16x4(p)); }
static inline vf vf_load_bf16_tail(const uint16_t *p, size_t k) { return ck_widen_bf16(ck_load_u16x4_tail(p, k)); }
static inline CK_HALF_TARGET void vf_store_bf16(uint16_t *p, vf v) { ck_store_u16x4(p, ck_narrow_bf16(v)); }
static inline CK_HALF_TARGET void vf_store_bf16_tail(uint16_t *p, vf v, size_t k)
{
    ck_store_u16x4_tail(p, ck_narrow_bf16(v), k);
}
static inline vf vf_load_f16(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(ck_load_u16x4(p))); }
static inline vf vf_load_f16_tail(const uint16_t *p, size_t k)
{
    return vcvt_f32_f16(vreinterpret_f16_u16(ck_load_u16x4_tail(p, k)));
}
static inline void vf_store_f16(uint16_t *p, vf v) { ck_store_u16x4(p, vreinterpret_u16_f16(vcvt_f16_f32(v))); }
static inline void vf_store_f16_tail(uint16_t *p, vf v, size_t k)
{
    ck_store_u16x4_tail(p, vreinterpret_u16_f16(vcvt_f16_f32(v)), k);
}
/* y, with x in the lanes where y is NaN (see vec_scalar.h; FMLS flips a NaN's sign, FNMADD does not) */
static inline vf vf_nan_to_input(vf y, vf x) { return vbslq_f32(vceqq_f32(y, y), y, x); }
/* The end of each vector of the bf16 activations on CPUs with FEAT_BF16 (activations_half.h's
 * CK_HALF_RESULT, isa_neon.c): ck_result_bf16's bits through ck_round_bf16_native. */
static inline CK_BF16_NATIVE_TARGET void ck_result_bf16_native(uint16_t *p, vf r, vf x)
{
    ck_store_u16x4(p, ck_round_bf16_native(vf_nan_to_input(r, x)));
}
static inline CK_BF16_NATIVE_TARGET void ck_result_bf16_native_tail(uint16_t *p, vf r, vf x, size_t k)
{
    ck_store_u16x4_tail(p, ck_round_bf16_native(vf_nan_to_input(r, x)), k);
}

#endif
