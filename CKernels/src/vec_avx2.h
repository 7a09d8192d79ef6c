/* The vector layer, AVX2 + FMA instance: 8 lanes; tails through vmaskmov (masked lanes never fault). */
#ifndef CK_VEC_H
#define CK_VEC_H
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define CK_TARGET __attribute__((target("avx2,fma")))
#define CK_ISA_SUFFIX avx2
#define VL 8

typedef __m256 vf;

static inline CK_TARGET __m256i ck_tail_mask(size_t k) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline CK_TARGET vf vf_set(float c) { return _mm256_set1_ps(c); }
static inline CK_TARGET vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline CK_TARGET void vf_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline CK_TARGET vf vf_load_tail(const float *p, size_t k) { return _mm256_maskload_ps(p, ck_tail_mask(k)); }
static inline CK_TARGET void vf_store_tail(float *p, vf v, size_t k) { _mm256_maskstore_ps(p, ck_tail_mask(k), v); }
static inline CK_TARGET vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline CK_TARGET vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline CK_TARGET vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline CK_TARGET vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline CK_TARGET vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline CK_TARGET vf vf_fnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
/* MINPS/MAXPS return the second operand when either is NaN: keep `a` second so NaN propagates */
static inline CK_TARGET vf vf_min(vf a, vf c) { return _mm256_min_ps(c, a); }
static inline CK_TARGET vf vf_max(vf a, vf c) { return _mm256_max_ps(c, a); }
static inline CK_TARGET vf vf_abs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline CK_TARGET vf vf_copysign_nonneg(vf mag, vf sign) {
    return _mm256_or_ps(mag, _mm256_and_ps(sign, _mm256_set1_ps(-0.0f)));
}
/* x limited to [lo, hi], NaN kept */
static inline CK_TARGET vf vf_clamp(vf x, float lo, float hi) { return vf_max(vf_min(x, vf_set(hi)), vf_set(lo)); }
static inline CK_TARGET vf vf_zero_where_less(vf y, vf x, float c) {
    return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(c), _CMP_LT_OQ), y);
}
static inline CK_TARGET vf vf_pow2_from_magic(vf t) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
}
/* table[bits(t) & 31] in every lane */
static inline CK_TARGET vf vf_lookup32(const float *table, vf t) {
    return _mm256_i32gather_ps(table, _mm256_and_si256(_mm256_castps_si256(t), _mm256_set1_epi32(31)), 4);
}
/* p * 2^floor(n) for t = n + (1.5*2^18 + 127): t's bits shifted left by 18 hold floor(n) + 127 in the
 * exponent field (and 5 table-index bits below it, masked off) */
static inline CK_TARGET vf vf_scale_pow2_floor(vf p, vf n, vf t) {
    (void)n;
    __m256i e = _mm256_and_si256(_mm256_slli_epi32(_mm256_castps_si256(t), 18), _mm256_set1_epi32(0x7f800000));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}
/* c - p in the lanes where x has its sign bit set, p elsewhere */
static inline CK_TARGET vf vf_reflect_where_negative(vf p, vf x, float c) {
    return _mm256_blendv_ps(p, _mm256_sub_ps(_mm256_set1_ps(c), p), x);
}

/* ---- half-format storage (bf16, IEEE binary16 as uint16_t bit patterns) --------------------
 * f16 through F16C (vcvtph2ps, vcvtps2ph rounding to nearest even); bf16 widens by a shift and
 * narrows by the integer round-to-nearest-even of vec_scalar.h's ck_bf16_round, lane for lane.
 * There are no 16-bit masked loads: tails go through a zero-padded copy on the stack. */
#define CK_HALF_TARGET __attribute__((target("avx2,fma,f16c")))

static inline CK_HALF_TARGET vf vf_load_bf16(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
static inline CK_HALF_TARGET void vf_store_bf16(uint16_t *p, vf v) {
    __m256i u = _mm256_castps_si256(v);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_add_epi32(u, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff)));
    __m256i quiet = _mm256_or_si256(u, _mm256_set1_epi32(0x400000));
    __m256i r = _mm256_srli_epi32(
        _mm256_blendv_epi8(rounded, quiet, _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))), 16);
    _mm_storeu_si128((__m128i *)p, _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)));
}
/* Table lookup (activations_half.h's half_lookup): 16 results of t at the 16-bit indices x[0..16),
 * the even and the odd ones by one 8-lane gather each, merged back into place without crossing
 * 128-bit lanes; t has an entry past the last, as each gather lane reads 4 bytes. */
#define CK_LOOKUP_BLOCK 16
static inline CK_HALF_TARGET void ck_lookup_block(const uint16_t *t, const uint16_t *x, uint16_t *y) {
    const __m256i low = _mm256_set1_epi32(0xffff);
    __m256i v = _mm256_loadu_si256((const __m256i *)x);
    __m256i even = _mm256_i32gather_epi32((const int *)(const void *)t, _mm256_and_si256(v, low), 2);
    __m256i odd = _mm256_i32gather_epi32((const int *)(const void *)t, _mm256_srli_epi32(v, 16), 2);
    _mm256_storeu_si256((__m256i *)y, _mm256_or_si256(_mm256_and_si256(even, low), _mm256_slli_epi32(odd, 16)));
}
static inline CK_HALF_TARGET vf vf_load_f16(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}
static inline CK_HALF_TARGET void vf_store_f16(uint16_t *p, vf v) {
    _mm_storeu_si128((__m128i *)p, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
/* y, with x in the lanes where y is NaN (see vec_scalar.h) */
static inline CK_HALF_TARGET vf vf_nan_to_input(vf y, vf x) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(y, y, _CMP_UNORD_Q)); }
#define CK_HALF_TAILS(fmt)                                                                        \
    static inline CK_HALF_TARGET vf vf_load_##fmt##_tail(const uint16_t *p, size_t k) {            \
        uint16_t b[VL] = { 0 };                                                                   \
        memcpy(b, (const void *)p, k * sizeof *p);                                                \
        return vf_load_##fmt(b);                                                                  \
    }                                                                                             \
    static inline CK_HALF_TARGET void vf_store_##fmt##_tail(uint16_t *p, vf v, size_t k) {         \
        uint16_t b[VL];                                                                           \
        vf_store_##fmt(b, v);                                                                     \
        memcpy((void *)p, b, k * sizeof *p);                                                      \
    }
CK_HALF_TAILS(bf16)
CK_HALF_TAILS(f16)
#undef CK_HALF_TAILS

#endif
