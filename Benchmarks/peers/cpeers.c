/* The peers of cpeers.h. SLEEF's 512-bit functions are called through pointers found with dlsym,
 * from functions compiled for AVX-512 by attribute (no -mavx512f for the target), so the build
 * needs neither sleef.h nor libsleef. */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>

#include "cpeers.h"

void peers_libm_sigmoid(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void peers_libm_tanh(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = tanhf(x[i]);
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f")))
typedef __m512 (*sleef_v16)(__m512);
static sleef_v16 sleef_expf_u10, sleef_tanhf_u10, sleef_tanhf_u35;
static int sleef_ok;
static pthread_once_t sleef_once = PTHREAD_ONCE_INIT;

static void sleef_open(void)
{
    void *lib = dlopen("libsleef.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib || !__builtin_cpu_supports("avx512f"))
        return;
    sleef_expf_u10 = (sleef_v16)dlsym(lib, "Sleef_expf16_u10");
    sleef_tanhf_u10 = (sleef_v16)dlsym(lib, "Sleef_tanhf16_u10");
    sleef_tanhf_u35 = (sleef_v16)dlsym(lib, "Sleef_tanhf16_u35");
    sleef_ok = sleef_expf_u10 && sleef_tanhf_u10 && sleef_tanhf_u35;
}

int peers_sleef_available(void)
{
    pthread_once(&sleef_once, sleef_open);
    return sleef_ok;
}

/* a mask for the first min(16, n - i) lanes: the tail uses masked loads and stores, as a user would */
AVX512 static __mmask16 lanes(size_t n, size_t i) { return n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1); }

AVX512 void peers_sleef_sigmoid_u10(const float *x, float *y, size_t n)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(n, i);
        __m512 e = sleef_expf_u10(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_maskz_loadu_ps(m, x + i)));
        _mm512_mask_storeu_ps(y + i, m, _mm512_div_ps(one, _mm512_add_ps(one, e)));
    }
}

AVX512 static void unary(sleef_v16 f, const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(n, i);
        _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

void peers_sleef_tanh_u10(const float *x, float *y, size_t n) { unary(sleef_tanhf_u10, x, y, n); }
void peers_sleef_tanh_u35(const float *x, float *y, size_t n) { unary(sleef_tanhf_u35, x, y, n); }
#else
int peers_sleef_available(void) { return 0; }
void peers_sleef_sigmoid_u10(const float *x, float *y, size_t n) { (void)x, (void)y, (void)n; }
void peers_sleef_tanh_u10(const float *x, float *y, size_t n) { (void)x, (void)y, (void)n; }
void peers_sleef_tanh_u35(const float *x, float *y, size_t n) { (void)x, (void)y, (void)n; }
#endif
