/* What the differential fuzzers share: the case's random stream, guarded buffers, the FP control
 * register, failure reports that name the replay, and the two entry points (a seed-driven main and
 * libFuzzer's LLVMFuzzerTestOneInput, where the input bytes are the random stream).
 *
 * A case is a pure function of (seed, case number), so any failure replays alone with
 * `--seed S --case N`. Header-only: each fuzzer is one translation unit. */
#ifndef CK_FUZZ_H
#define CK_FUZZ_H
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ckernels.h"

/* ---- the random stream ---------------------------------------------------------------------- */

/* splitmix64 from a seed, or (libFuzzer) the input bytes, then zeros once they run out */
typedef struct { uint64_t s; const uint8_t *data; size_t len, pos; } fz_rng;

static inline uint64_t fz_u64(fz_rng *r)
{
    if (r->data) {
        uint64_t v = 0;
        for (int b = 0; b < 8 && r->pos < r->len; ++b)
            v |= (uint64_t)r->data[r->pos++] << (8 * b);
        return v;
    }
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* uniform in [0, n), n > 0 */
static inline size_t fz_below(fz_rng *r, size_t n) { return (size_t)(fz_u64(r) % n); }
static inline int fz_chance(fz_rng *r, unsigned percent) { return fz_below(r, 100) < percent; }
static inline float fz_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t fz_u32_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float fz_uniform(fz_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * (float)(fz_u64(r) >> 40) * 0x1p-24f;
}

/* Input classes: every bit pattern, the working range, saturation, tiny, and the special values. */
enum { FZ_ANY_BITS, FZ_WORKING, FZ_SATURATING, FZ_TINY, FZ_SPECIAL, FZ_CLASSES };
static inline float fz_float(fz_rng *r, int cls)
{
    static const uint32_t special[] = { 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff812345u, 0x7f800000u,
                                        0xff800000u, 0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u,
                                        0x007fffffu, 0x807fffffu, 0x00800000u, 0x7f7fffffu, 0xff7fffffu };
    switch (cls) {
    case FZ_ANY_BITS: return fz_bits((uint32_t)fz_u64(r));
    case FZ_WORKING: return fz_uniform(r, -20.0f, 20.0f);
    case FZ_SATURATING: return fz_uniform(r, -100.0f, 100.0f);
    case FZ_TINY: return fz_bits((uint32_t)fz_u64(r) & 0x83ffffffu); /* |x| < 2^-119, subnormals too */
    default: return fz_bits(special[fz_below(r, sizeof special / sizeof special[0])]);
    }
}

/* ---- half formats: bfloat16 (f16 = 0) and IEEE binary16 (f16 = 1) ------------------------------
 * Decoded and rounded here, independently of the library's conversions. */

static const char *const fz_format_names[] = { "bf16", "f16" };
/* per format: mantissa bits, exponent bias, the infinity's and a quiet NaN's exponent bits */
static const struct { int mant, bias; uint16_t inf, quiet; } fz_formats[2] = { { 7, 127, 0x7f80u, 0x7fc0u },
                                                                              { 10, 15, 0x7c00u, 0x7e00u } };

/* the value of a bit pattern (NaN for NaN) */
static inline float fz_half_value(int f16, uint16_t h)
{
    const int mant = fz_formats[f16].mant, bias = fz_formats[f16].bias;
    const unsigned e = (h & 0x7fffu) >> mant, m = h & ((1u << mant) - 1);
    const float sign = h & 0x8000u ? -1.0f : 1.0f;
    if ((h & fz_formats[f16].inf) == fz_formats[f16].inf)
        return m ? NAN : sign * INFINITY;
    return sign * (e ? ldexpf((float)((1u << mant) + m), (int)e - bias - mant) : ldexpf((float)m, 1 - bias - mant));
}

/* v rounded to nearest even (past the largest finite: infinity); NaN: a quiet NaN of v's sign */
static inline uint16_t fz_half_round(int f16, float v)
{
    const int mant = fz_formats[f16].mant, emin = 1 - fz_formats[f16].bias;
    const uint16_t sign = signbit(v) ? 0x8000u : 0, inf = fz_formats[f16].inf;
    const float a = fabsf(v);
    if (a != a)
        return (uint16_t)(sign | fz_formats[f16].quiet);
    if (a == INFINITY)
        return (uint16_t)(sign | inf);
    int e;
    frexpf(a, &e);
    e = a == 0.0f || e - 1 < emin ? emin : e - 1; /* the exponent of a's quantum, 2^(e - mant) */
    if (e > fz_formats[f16].bias)
        return (uint16_t)(sign | inf);
    const unsigned m = (unsigned)rintf(ldexpf(a, mant - e)); /* rintf: the default nearest-even mode */
    /* below 2^emin, e == emin and m < 2^mant: a subnormal pattern (m == 2^mant is the least normal) */
    const unsigned bits = m < (1u << mant) ? m : ((unsigned)(e - emin) << mant) + m;
    return (uint16_t)(sign | (bits < inf ? bits : inf));
}

/* a NaN pattern of the format */
static inline int fz_half_nan(int f16, uint16_t h)
{
    return (h & fz_formats[f16].inf) == fz_formats[f16].inf && (h & ((1u << fz_formats[f16].mant) - 1));
}

/* Inputs by class, as fz_float: every pattern, the working range, saturation, subnormals and the
 * least normals, and the specials. */
static inline uint16_t fz_half(fz_rng *r, int f16, int cls)
{
    static const uint16_t special[2][12] = {
        { 0x7fc0, 0xffc0, 0x7f81, 0xff81, 0x7f80, 0xff80, 0x0000, 0x8000, 0x0001, 0x8001, 0x7f7f, 0xff7f },
        { 0x7e00, 0xfe00, 0x7c01, 0xfc01, 0x7c00, 0xfc00, 0x0000, 0x8000, 0x0001, 0x8001, 0x7bff, 0xfbff },
    };
    switch (cls) {
    case FZ_ANY_BITS: return (uint16_t)fz_u64(r);
    case FZ_SPECIAL: return special[f16][fz_below(r, 12)];
    case FZ_TINY: return (uint16_t)(fz_u64(r) & (0x8000u | ((2u << fz_formats[f16].mant) - 1)));
    default: { /* a float of the class, narrowed by truncation (any pattern of the range will do) */
        float v = fz_float(r, cls);
        if (!f16)
            return (uint16_t)(fz_u32_of(v) >> 16);
        uint16_t sign = v < 0 ? 0x8000u : 0, h = 0;
        for (uint16_t step = 0x4000; step; step >>= 1) /* the largest magnitude at most |v| */
            if ((uint16_t)(h | step) < 0x7c00u && fz_half_value(1, (uint16_t)(h | step)) <= fabsf(v))
                h |= step;
        return (uint16_t)(sign | h);
    }
    }
}

/* ---- failures --------------------------------------------------------------------------------- */

static const char *fz_name = "fuzz";
static uint64_t fz_seed, fz_case;
static int fz_libfuzzer;

static inline void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL %s: ", fz_name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (!fz_libfuzzer) {
        fprintf(stderr, "\nreplay: %s --seed %" PRIu64 " --case %" PRIu64 "\n", fz_name, fz_seed, fz_case);
        exit(1);
    }
    fprintf(stderr, "\n");
    abort(); /* libFuzzer saves the input that crashed */
}
#define FZ_CHECK(ok, ...) \
    do {                  \
        if (!(ok))        \
            fz_fail(__VA_ARGS__); \
    } while (0)

/* bitwise equal, or both NaN (NaN payloads are not part of the contract) */
static inline int fz_same(float a, float b) { return fz_u32_of(a) == fz_u32_of(b) || (a != a && b != b); }

/* index of the first element where a and b differ (fz_same), or n */
static inline size_t fz_first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        if (!fz_same(a[i], b[i]))
            return i;
    return n;
}

/* ---- guarded buffers ---------------------------------------------------------------------------
 * n floats (or 16-bit patterns: fz_alloc16) at a chosen byte offset (any byte address is part of
 * the contract) with canary bytes before and after; the fuzzers move elements in and out with
 * memcpy only, so a misaligned access that a sanitizer sees is the library's own. */

#define FZ_CANARY 64
#define FZ_CANARY_BYTE 0xA5

typedef struct { unsigned char *mem; float *p; size_t n, shift, size; } fz_buf; /* size: bytes per element */

static inline void *fz_xmalloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static inline fz_buf fz_alloc_elements(size_t n, size_t size, size_t shift, const void *init)
{
    fz_buf b = { fz_xmalloc(2 * FZ_CANARY + 16 + n * size), NULL, n, shift, size };
    memset(b.mem, FZ_CANARY_BYTE, 2 * FZ_CANARY + 16 + n * size);
    b.p = (float *)(void *)(b.mem + FZ_CANARY + shift);
    if (init)
        memcpy((void *)b.p, init, n * size); /* void *: see CKernels/src/vec_scalar.h */
    return b;
}
static inline fz_buf fz_alloc(size_t n, size_t shift, const float *init) { return fz_alloc_elements(n, 4, shift, init); }
static inline fz_buf fz_alloc16(size_t n, size_t shift, const uint16_t *init) { return fz_alloc_elements(n, 2, shift, init); }
/* the 16-bit patterns' address (any byte address) */
static inline uint16_t *fz_p16(const fz_buf *b) { return (uint16_t *)(void *)(b->mem + FZ_CANARY + b->shift); }

/* n floats of 0x7fbadbad, a NaN no kernel produces: an output not written shows. */
static inline fz_buf fz_alloc_poisoned(size_t n, size_t shift)
{
    fz_buf b = fz_alloc(n, shift, NULL);
    const uint32_t poison = 0x7fbadbadu;
    for (size_t i = 0; i < n; ++i)
        memcpy((unsigned char *)b.p + 4 * i, &poison, 4);
    return b;
}

static inline void fz_check_canaries(const fz_buf *b, const char *what)
{
    const unsigned char *end = b->mem + FZ_CANARY + b->shift + b->n * b->size;
    for (size_t i = 0; i < FZ_CANARY + b->shift; ++i)
        FZ_CHECK(b->mem[i] == FZ_CANARY_BYTE, "%s: a write %zu bytes before the buffer", what,
                 FZ_CANARY + b->shift - i);
    for (size_t i = 0; i < FZ_CANARY + 16 - b->shift; ++i)
        FZ_CHECK(end[i] == FZ_CANARY_BYTE, "%s: a write %zu bytes past the end of %zu elements", what, i, b->n);
}

/* the buffer's floats, copied to an aligned array (caller frees); fz_read16 for 16-bit patterns */
static inline float *fz_read(const fz_buf *b)
{
    float *out = fz_xmalloc(b->n * sizeof(float));
    memcpy(out, (const void *)b->p, b->n * sizeof(float));
    return out;
}

static inline uint16_t *fz_read16(const fz_buf *b)
{
    uint16_t *out = fz_xmalloc(b->n * sizeof(uint16_t));
    memcpy(out, (const void *)fz_p16(b), b->n * sizeof(uint16_t));
    return out;
}

static inline void fz_free(fz_buf *b) { free(b->mem); b->mem = NULL; }

/* ---- the FP control register ------------------------------------------------------------------
 * Control bits only: the sticky flags' promise (ckernels.h) is checked by CKernels/tests/ck_test.c. */

static inline unsigned fz_fp_control(void)
{
#if defined(__x86_64__)
    return _mm_getcsr() & ~0x3fu;
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return (unsigned)v;
#else
    return 0;
#endif
}

/* FTZ and DAZ from bits 0 and 1 of `mode` (AArch64 has one FZ bit for both) */
static inline void fz_set_ftz_daz(unsigned mode)
{
#if defined(__x86_64__)
    _mm_setcsr((_mm_getcsr() & ~0x8040u) | (mode & 1 ? 0x8000u : 0) | (mode & 2 ? 0x0040u : 0));
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    v = (v & ~(1ull << 24)) | (mode ? 1ull << 24 : 0);
    __asm__ volatile("msr fpcr, %0" ::"r"(v));
#else
    (void)mode;
#endif
}

/* ---- ISAs ------------------------------------------------------------------------------------- */

static ck_isa fz_isas[4]; /* this CPU's, scalar first */
static size_t fz_nisas;

static inline void fz_find_isas(void)
{
    static const ck_isa all[] = { CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512, CK_ISA_NEON };
    fz_nisas = 0;
    for (size_t i = 0; i < 4; ++i)
        if (ck_isa_supported(all[i]))
            fz_isas[fz_nisas++] = all[i];
}

/* a valid ISA that this CPU lacks, or CK_ISA_AUTO if it has them all */
static inline ck_isa fz_absent_isa(void)
{
    for (ck_isa a = CK_ISA_SCALAR; a <= CK_ISA_NEON; ++a)
        if (!ck_isa_supported(a))
            return a;
    return CK_ISA_AUTO;
}

/* ---- entry points ----------------------------------------------------------------------------- */

static void fz_run_case(fz_rng *r); /* each fuzzer's one case */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_libfuzzer = 1;
    if (!fz_nisas)
        fz_find_isas();
    fz_rng r = { 0, data, size, 0 };
    fz_run_case(&r);
    return 0;
}

#ifndef FZ_LIBFUZZER
static double fz_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    fz_name = slash ? slash + 1 : argv[0];
    uint64_t first = 0, cases = UINT64_MAX;
    double seconds = 10;
    fz_seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && strcmp(a, "--seed") == 0)
            fz_seed = strtoull(v, NULL, 0), ++i;
        else if (v && strcmp(a, "--case") == 0)
            first = strtoull(v, NULL, 0), cases = 1, ++i;
        else if (v && strcmp(a, "--cases") == 0)
            cases = strtoull(v, NULL, 0), ++i;
        else if (v && strcmp(a, "--seconds") == 0)
            seconds = strtod(v, NULL), ++i;
        else {
            fprintf(stderr,
                    "usage: %s [--seed S] [--seconds T (default 10)] [--cases N]\n"
                    "       %s --seed S --case N        replay one case\n",
                    fz_name, fz_name);
            return 2;
        }
    }
    fz_find_isas();
    printf("%s: seed %" PRIu64 ", ISAs", fz_name, fz_seed);
    for (size_t i = 0; i < fz_nisas; ++i)
        printf(" %s", ck_isa_name(fz_isas[i]));
    printf("\n");
    fflush(stdout);
    const double t0 = fz_now();
    uint64_t done = 0;
    for (fz_case = first; done < cases && (cases == 1 || fz_now() - t0 < seconds); ++fz_case, ++done) {
        fz_rng r = { fz_seed ^ (fz_case * 0xD1B54A32D192ED03ull), NULL, 0, 0 };
        fz_run_case(&r);
    }
    printf("%s: %" PRIu64 " cases passed in %.1f s (seed %" PRIu64 ")\n", fz_name, done, fz_now() - t0, fz_seed);
    return 0;
}
#endif
#endif
