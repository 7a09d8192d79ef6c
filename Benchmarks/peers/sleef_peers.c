/* SLEEF's AVX-512 entry points as buffer functions, the way a user would build sigmoid and tanh
 * from them. Compiled alone with -mavx512f (sleef.h declares the 512-bit functions only then). */
#include <immintrin.h>
#include <sleef.h>
#include <stddef.h>

#include "peers.h"

void sleef_sigmoid_u10(const float *x, float *y, size_t n)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 e = Sleef_expf16_u10(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_maskz_loadu_ps(m, x + i)));
        _mm512_mask_storeu_ps(y + i, m, _mm512_div_ps(one, _mm512_add_ps(one, e)));
    }
}

#define SLEEF_UNARY(name, fn)                                                                   \
    void name(const float *x, float *y, size_t n)                                               \
    {                                                                                           \
        for (size_t i = 0; i < n; i += 16) {                                                    \
            __mmask16 m = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);             \
            _mm512_mask_storeu_ps(y + i, m, fn(_mm512_maskz_loadu_ps(m, x + i)));               \
        }                                                                                       \
    }
SLEEF_UNARY(sleef_tanh_u10, Sleef_tanhf16_u10)
SLEEF_UNARY(sleef_tanh_u35, Sleef_tanhf16_u35)
