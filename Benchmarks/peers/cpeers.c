/* The peers of cpeers.h. The 512-bit functions of SLEEF and libmvec are called through pointers
 * found with dlsym, from functions compiled for AVX-512 by attribute (no -mavx512f for the target),
 * so the build needs neither sleef.h nor the libraries. XNNPACK's operator API is declared here in
 * the shape of Debian's 2022 snapshot (create with the shape, setup with batch and pointers). */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* The file a loaded symbol lives in, links resolved (malloc'd), or NULL. */
static char *library_of(void *symbol)
{
    Dl_info info;
    return symbol && dladdr(symbol, &info) && info.dli_fname ? realpath(info.dli_fname, NULL) : NULL;
}

/* The version in a library's file name, "3.5.1" of libsleef.so.3.5.1; "" when it has only a soname
 * number (libXNNPACK.so.0), which says nothing of the release. */
static const char *version_in_name(const char *path)
{
    const char *v = path ? strstr(path, ".so.") : NULL;
    return v && strchr(v + 4, '.') ? v + 4 : "";
}

/* XNNPACK (libXNNPACK.so.0): one operator per call, created and deleted there, so that threads
 * share nothing; no threadpool. */
typedef void *xnn_operator_t;
static int (*xnn_create_sigmoid)(size_t, size_t, size_t, uint32_t, xnn_operator_t *);
static int (*xnn_setup_sigmoid)(xnn_operator_t, size_t, const float *, float *, void *);
static int (*xnn_run)(xnn_operator_t, void *);
static int (*xnn_delete)(xnn_operator_t);

static void xnnpack_sigmoid(const float *x, float *y, size_t n)
{
    xnn_operator_t op = NULL;
    int ok = xnn_create_sigmoid(n, n, n, 0, &op) == 0 && xnn_setup_sigmoid(op, 1, x, y, NULL) == 0 &&
             xnn_run(op, NULL) == 0;
    if (op)
        xnn_delete(op);
    if (!ok) /* a failed call shows in the statistics instead of passing for results */
        for (size_t i = 0; i < n; i++)
            y[i] = NAN;
}

static void *xnnpack_open(void)
{
    void *lib = dlopen("libXNNPACK.so.0", RTLD_NOW | RTLD_LOCAL);
    int (*init)(const void *) = lib ? (int (*)(const void *))dlsym(lib, "xnn_initialize") : NULL;
    if (!init)
        return NULL;
    xnn_create_sigmoid = (int (*)(size_t, size_t, size_t, uint32_t, xnn_operator_t *))dlsym(lib, "xnn_create_sigmoid_nc_f32");
    xnn_setup_sigmoid = (int (*)(xnn_operator_t, size_t, const float *, float *, void *))dlsym(lib, "xnn_setup_sigmoid_nc_f32");
    xnn_run = (int (*)(xnn_operator_t, void *))dlsym(lib, "xnn_run_operator");
    xnn_delete = (int (*)(xnn_operator_t))dlsym(lib, "xnn_delete_operator");
    if (!xnn_create_sigmoid || !xnn_setup_sigmoid || !xnn_run || !xnn_delete || init(NULL) != 0)
        return NULL;
    return (void *)init;
}

#define MAX_PEERS 8
static peers_entry installed[MAX_PEERS];
static size_t installed_count;

static void add(const char *name, const char *label, int is_tanh, void (*fn)(const float *, float *, size_t),
                void *symbol, const char *version)
{
    char *library = library_of(symbol);
    installed[installed_count++] = (peers_entry){ name, label, is_tanh, fn, library ? library : "",
                                                  version ? version : version_in_name(library) };
}

#if defined(__x86_64__)
#include <immintrin.h>
#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#define GLIBC_VERSION gnu_get_libc_version()
#else
#define GLIBC_VERSION NULL
#endif
#define AVX512 __attribute__((target("avx512f")))
typedef __m512 (*v16)(__m512);
static v16 sleef_expf_u10, sleef_tanhf_u10, sleef_tanhf_u35, mvec_expf, mvec_tanhf;
static int sleef_ok;
static pthread_once_t sleef_once = PTHREAD_ONCE_INIT;

static void sleef_open(void)
{
    void *lib = dlopen("libsleef.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib || !__builtin_cpu_supports("avx512f"))
        return;
    sleef_expf_u10 = (v16)dlsym(lib, "Sleef_expf16_u10");
    sleef_tanhf_u10 = (v16)dlsym(lib, "Sleef_tanhf16_u10");
    sleef_tanhf_u35 = (v16)dlsym(lib, "Sleef_tanhf16_u35");
    sleef_ok = sleef_expf_u10 && sleef_tanhf_u10 && sleef_tanhf_u35;
}

int peers_sleef_available(void)
{
    pthread_once(&sleef_once, sleef_open);
    return sleef_ok;
}

/* a mask for the first min(16, n - i) lanes: the tail uses masked loads and stores, as a user would */
AVX512 static __mmask16 lanes(size_t n, size_t i) { return n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1); }

/* sigmoid as a user builds it from a vector exp: 1 / (1 + exp(-x)) */
AVX512 static void sigmoid_from(v16 exp16, const float *x, float *y, size_t n)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(n, i);
        __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_maskz_loadu_ps(m, x + i)));
        _mm512_mask_storeu_ps(y + i, m, _mm512_div_ps(one, _mm512_add_ps(one, e)));
    }
}

AVX512 static void unary(v16 f, const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = lanes(n, i);
        _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

static void sleef_sigmoid_u10(const float *x, float *y, size_t n) { sigmoid_from(sleef_expf_u10, x, y, n); }
static void sleef_tanh_u10(const float *x, float *y, size_t n) { unary(sleef_tanhf_u10, x, y, n); }
static void sleef_tanh_u35(const float *x, float *y, size_t n) { unary(sleef_tanhf_u35, x, y, n); }
static void mvec_sigmoid(const float *x, float *y, size_t n) { sigmoid_from(mvec_expf, x, y, n); }
static void mvec_tanh(const float *x, float *y, size_t n) { unary(mvec_tanhf, x, y, n); }

static void open_installed(void)
{
    if (peers_sleef_available()) {
        add("sleef-sigmoid-u10", "SLEEF 1/(1+Sleef_expf16_u10(-x))", 0, sleef_sigmoid_u10, (void *)sleef_expf_u10, NULL);
        add("sleef-tanh-u10", "SLEEF Sleef_tanhf16_u10", 1, sleef_tanh_u10, (void *)sleef_tanhf_u10, NULL);
        add("sleef-tanh-u35", "SLEEF Sleef_tanhf16_u35", 1, sleef_tanh_u35, (void *)sleef_tanhf_u35, NULL);
    }
    void *xnn = xnnpack_open();
    if (xnn)
        add("xnnpack-sigmoid", "XNNPACK xnn_create_sigmoid_nc_f32 operator", 0, xnnpack_sigmoid, xnn, NULL);
    /* glibc's x86-64 vector ABI names: _ZGVeN16v_ is the AVX-512 variant of 16 floats */
    void *mvec = __builtin_cpu_supports("avx512f") ? dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL) : NULL;
    if (mvec && (mvec_expf = (v16)dlsym(mvec, "_ZGVeN16v_expf")))
        add("libmvec-sigmoid", "glibc libmvec 1/(1+_ZGVeN16v_expf(-x))", 0, mvec_sigmoid, (void *)mvec_expf, GLIBC_VERSION);
    if (mvec && (mvec_tanhf = (v16)dlsym(mvec, "_ZGVeN16v_tanhf")))
        add("libmvec-tanh", "glibc libmvec _ZGVeN16v_tanhf", 1, mvec_tanh, (void *)mvec_tanhf, GLIBC_VERSION);
}
#else
int peers_sleef_available(void) { return 0; }
static void sleef_sigmoid_u10(const float *x, float *y, size_t n) { (void)x, (void)y, (void)n; }
static void sleef_tanh_u10(const float *x, float *y, size_t n) { (void)x, (void)y, (void)n; }
static void sleef_tanh_u35(const float *x, float *y, size_t n) { (void)x, (void)y, (void)n; }

static void open_installed(void)
{
    void *xnn = xnnpack_open();
    if (xnn)
        add("xnnpack-sigmoid", "XNNPACK xnn_create_sigmoid_nc_f32 operator", 0, xnnpack_sigmoid, xnn, NULL);
}
#endif

static pthread_once_t installed_once = PTHREAD_ONCE_INIT;

size_t peers_installed(const peers_entry **entries)
{
    pthread_once(&installed_once, open_installed);
    *entries = installed;
    return installed_count;
}
