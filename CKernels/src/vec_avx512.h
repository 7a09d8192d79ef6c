/* The vector layer, AVX-512 instance: 16 lanes; tails through masked loads and stores. */
#ifndef CK_VEC_H
#define CK_VEC_H
#include <immintrin.h>
#include <stdint.h>

#define CK_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")))
#define CK_ISA_SUFFIX avx512
#define VL 16

typedef __m512 vf;

static inline CK_TARGET __mmask16 ck_tail_mask(size_t k) { return (__mmask16)((1u << k) - 1u); }
static inline CK_TARGET vf vf_set(float c) { return _mm512_set1_ps(c); }
static inline CK_TARGET vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline CK_TARGET void vf_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline CK_TARGET vf vf_load_tail(const float *p, size_t k) { return _mm512_maskz_loadu_ps(ck_tail_mask(k), p); }
static inline CK_TARGET void vf_store_tail(float *p, vf v, size_t k) { _mm512_mask_storeu_ps(p, ck_tail_mask(k), v); }
static inline CK_TARGET vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline CK_TARGET vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline CK_TARGET vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline CK_TARGET vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline CK_TARGET vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline CK_TARGET vf vf_fnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
/* VMINPS/VMAXPS return the second operand when either is NaN: keep `a` second so NaN propagates */
static inline CK_TARGET vf vf_min(vf a, vf c) { return _mm512_min_ps(c, a); }
static inline CK_TARGET vf vf_max(vf a, vf c) { return _mm512_max_ps(c, a); }
static inline CK_TARGET vf vf_abs(vf a) { return _mm512_abs_ps(a); }
static inline CK_TARGET vf vf_copysign_nonneg(vf mag, vf sign) {
    /* mag | (sign & 0x80000000) in one vpternlogd */
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(mag), _mm512_castps_si512(sign),
                                                         _mm512_set1_epi32((int)0x80000000u), 0xF8));
}
/* x limited to [lo, hi], NaN kept: the lanes below lo take lo through the mask of the same compare
 * as vf_zero_where_less(_, x, lo), which the compiler shares, so the lower bound costs no operation */
static inline CK_TARGET vf vf_clamp(vf x, float lo, float hi) {
    return _mm512_mask_min_ps(_mm512_set1_ps(lo), _mm512_cmp_ps_mask(x, _mm512_set1_ps(lo), _CMP_NLT_UQ),
                              _mm512_set1_ps(hi), x);
}
static inline CK_TARGET vf vf_zero_where_less(vf y, vf x, float c) {
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(c), _CMP_NLT_UQ), y);
}
static inline CK_TARGET vf vf_pow2_from_magic(vf t) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(t), 23));
}
/* table[bits(t) & 31] in every lane: one vpermt2ps over the two halves of the 32-entry table */
static inline CK_TARGET vf vf_lookup32(const float *table, vf t) {
    return _mm512_permutex2var_ps(_mm512_loadu_ps(table), _mm512_castps_si512(t), _mm512_loadu_ps(table + 16));
}
/* p * 2^floor(n); t = n + (1.5*2^18 + 127), whose bits the other ISAs use instead. Exact wherever the
 * result is a normal float, as is the multiplication the other ISAs do. */
static inline CK_TARGET vf vf_scale_pow2_floor(vf p, vf n, vf t) { (void)t; return _mm512_scalef_ps(p, n); }
/* c - p in the lanes where x has its sign bit set, p elsewhere: one masked subtraction */
static inline CK_TARGET vf vf_reflect_where_negative(vf p, vf x, float c) {
    return _mm512_mask_sub_ps(p, _mm512_movepi32_mask(_mm512_castps_si512(x)), _mm512_set1_ps(c), p);
}

/* ---- half-format storage (bf16, IEEE binary16 as uint16_t bit patterns) --------------------
 * f16 through F16C's 512-bit forms; bf16 widens by a shift and narrows by the integer
 * round-to-nearest-even of vec_scalar.h's ck_bf16_round, lane for lane. Where the CPU has
 * AVX512-BF16, isa_avx512.c instantiates the bf16 activations again with ck_result_bf16_native,
 * and isa_avx512_bf16.c the bf16 gate forwards with CK_BF16_NATIVE defined before this header:
 * there the half kernels carry AVX512-BF16 and vf_store_bf16 narrows with ck_round_bf16_native.
 * Tails through 16-bit masked loads and stores (AVX512BW). */
#define CK_BF16_NATIVE_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,f16c,avx512bf16")))
#ifdef CK_BF16_NATIVE
#define CK_HALF_TARGET CK_BF16_NATIVE_TARGET
#else
#define CK_HALF_TARGET __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,f16c")))
#endif

static inline CK_HALF_TARGET vf ck_widen_bf16(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
static inline CK_HALF_TARGET __m256i ck_round_bf16(vf v) {
    __m512i u = _mm512_castps_si512(v);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff)));
    r = _mm512_mask_or_epi32(r, _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), u, _mm512_set1_epi32(0x400000));
    return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
}
/* ck_round_bf16's bits through vcvtneps2bf16, which rounds to nearest even and quiets a NaN as
 * ck_round_bf16 does but flushes a subnormal input to zero: a vector with one (rare) takes the
 * integer rounding. ck_test.c proves the equality over every float. */
static inline CK_BF16_NATIVE_TARGET __m256i ck_round_bf16_native(vf v) {
    if (__builtin_expect(_mm512_fpclass_ps_mask(v, 0x20) != 0, 0)) /* 0x20: denormal */
        return ck_round_bf16(v);
    return (__m256i)_mm512_cvtneps_pbh(v);
}
/* the bf16 narrowing of this translation unit's kernels */
static inline CK_HALF_TARGET __m256i ck_narrow_bf16(vf v) {
#ifdef CK_BF16_NATIVE
    return ck_round_bf16_native(v);
#else
    return ck_round_bf16(v);
#endif
}
static inline CK_HALF_TARGET vf vf_load_bf16(const uint16_t *p) {
    return ck_widen_bf16(_mm256_loadu_si256((const __m256i *)p));
}
static inline CK_HALF_TARGET vf vf_load_bf16_tail(const uint16_t *p, size_t k) {
    return ck_widen_bf16(_mm256_maskz_loadu_epi16(ck_tail_mask(k), p));
}
static inline CK_HALF_TARGET void vf_store_bf16(uint16_t *p, vf v) {
    _mm256_storeu_si256((__m256i *)p, ck_narrow_bf16(v));
}
static inline CK_HALF_TARGET void vf_store_bf16_tail(uint16_t *p, vf v, size_t k) {
    _mm256_mask_storeu_epi16(p, ck_tail_mask(k), ck_narrow_bf16(v));
}
/* y, with x in the lanes where y is NaN (see vec_scalar.h) */
static inline CK_HALF_TARGET vf vf_nan_to_input(vf y, vf x) { return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), x); }
/* The end of each vector of the bf16 activations on CPUs with AVX512-BF16 (activations_half.h's
 * CK_HALF_RESULT, isa_avx512.c): vcvtneps2bf16 rounds to nearest even as ck_round_bf16 does but
 * flushes subnormal results to zero, and a NaN lane must become the input's NaN. One vfpclassps
 * finds both (tanh of a subnormal input, NaN input); the rare vector with either takes the integer
 * rounding after vf_nan_to_input, so the common vector pays one test instead of two. */
static inline CK_BF16_NATIVE_TARGET void ck_result_bf16_native(uint16_t *p, vf r, vf x) {
    if (__builtin_expect(_mm512_fpclass_ps_mask(r, 0xA1) != 0, 0)) /* QNaN 0x01, denormal 0x20, SNaN 0x80 */
        vf_store_bf16(p, vf_nan_to_input(r, x));
    else
        _mm256_storeu_si256((__m256i *)p, (__m256i)_mm512_cvtneps_pbh(r));
}
static inline CK_BF16_NATIVE_TARGET void ck_result_bf16_native_tail(uint16_t *p, vf r, vf x, size_t k) {
    if (__builtin_expect(_mm512_fpclass_ps_mask(r, 0xA1) != 0, 0))
        vf_store_bf16_tail(p, vf_nan_to_input(r, x), k);
    else
        _mm256_mask_storeu_epi16(p, ck_tail_mask(k), (__m256i)_mm512_cvtneps_pbh(r));
}
/* Table lookup (activations_half.h's half_lookup): 32 results of t at the 16-bit indices x[0..32),
 * by two 16-lane gathers; t has an entry past the last, as each gather lane reads 4 bytes. */
#define CK_LOOKUP_BLOCK 32
static inline CK_HALF_TARGET void ck_lookup_block(const uint16_t *t, const uint16_t *x, uint16_t *y) {
    __m512i a = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)x));
    __m512i b = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(x + 16)));
    a = _mm512_i32gather_epi32(a, (const void *)t, 2);
    b = _mm512_i32gather_epi32(b, (const void *)t, 2);
    _mm256_storeu_si256((__m256i *)y, _mm512_cvtepi32_epi16(a));
    _mm256_storeu_si256((__m256i *)(y + 16), _mm512_cvtepi32_epi16(b));
}
static inline CK_HALF_TARGET vf vf_load_f16(const uint16_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
}
static inline CK_HALF_TARGET vf vf_load_f16_tail(const uint16_t *p, size_t k) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(ck_tail_mask(k), p));
}
static inline CK_HALF_TARGET void vf_store_f16(uint16_t *p, vf v) {
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
static inline CK_HALF_TARGET void vf_store_f16_tail(uint16_t *p, vf v, size_t k) {
    _mm256_mask_storeu_epi16(p, ck_tail_mask(k), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

#endif
