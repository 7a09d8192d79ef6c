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

#endif
