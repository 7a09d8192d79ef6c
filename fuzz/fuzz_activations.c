/* Differential fuzzer of ck_sigmoid_f32 / ck_tanh_f32 (ckernels.h's contract, tested per case):
 *   - every ISA gives the scalar path's bits, at any length, byte offset, in place or not, under any
 *     FTZ/DAZ setting (beyond subnormal inputs and results);
 *   - NaN in gives NaN out, finite in gives finite out in range (sigmoid [0, 1], tanh [-1, 1]),
 *     tanh(-x) == -tanh(x) bit for bit, and sorted inputs give non-decreasing outputs;
 *   - no write outside [y, y + n) (canaries), x unchanged, the FP control register unchanged, and
 *     no INVALID, DIVBYZERO or OVERFLOW flag raised when x holds no NaN (ckernels.h's promise);
 *   - rejected calls (overlap, bad tier, bad or absent ISA, NULL, overflowing n) return their status
 *     and write nothing;
 *   - the OpenMP drivers (ckernels_omp.h) give the serial bits for 1 to 4 threads.
 * A quarter of the cases run the half formats instead (ck_sigmoid_bf16 ... ck_tanh_f16): every ISA
 * gives the scalar path's bits (NaNs included: the input's NaN, quieted), at any byte offset, in
 * place or not; NaN in gives NaN out, other results in range; sorted inputs give non-decreasing
 * outputs; no write outside [y, y + n), x unchanged, no forbidden flag for an input without NaN.
 *
 *   fuzz_activations [--seed S] [--seconds T] [--cases N]     fuzz_activations --seed S --case N */
#include <fenv.h>
#include <math.h>

#include "ckernels_omp.h"
#include "fuzz.h"

static const char *const fn_names[] = { "sigmoid", "tanh" };
static const char *const tier_names[] = { "precise", "fast", "approximate" };

static ck_status unary(int fn, const float *x, float *y, size_t n, ck_tier tier, ck_isa isa)
{
    return (fn ? ck_tanh_f32_isa : ck_sigmoid_f32_isa)(x, y, n, tier, isa);
}

static int subnormal(float v) { return v != 0.0f && (fz_u32_of(v) & 0x7f800000u) == 0; }

/* The flags that ckernels.h promises a NaN-free input never raises, as the call left them; the
 * caller clears them first. */
#define FORBIDDEN_FLAGS (FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW)
static void check_flags(int any_nan, const char *isa, const char *format, const char *fn, const char *tier, size_t n)
{
    const int raised = fetestexcept(FORBIDDEN_FLAGS);
    FZ_CHECK(any_nan || !raised, "%s %s %s %s n=%zu: no NaN in, yet flags%s%s%s", isa, format, fn, tier, n,
             raised & FE_INVALID ? " INVALID" : "", raised & FE_DIVBYZERO ? " DIVBYZERO" : "",
             raised & FE_OVERFLOW ? " OVERFLOW" : "");
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The length: mostly around the vector widths and their tails, sometimes long. */
static size_t pick_length(fz_rng *r)
{
    unsigned k = (unsigned)fz_below(r, 100);
    return k < 60 ? fz_below(r, 70) : k < 95 ? fz_below(r, 1100) : fz_below(r, 20000);
}

/* Rejected calls write nothing and return the rule's status. */
static void check_rejections(fz_rng *r, const float *x, size_t n, int fn, ck_tier tier)
{
    if (n < 2)
        return;
    fz_buf b = fz_alloc(2 * n, fz_below(r, 4), NULL), before = fz_alloc(2 * n, 0, NULL);
    for (size_t half = 0; half < 2 * n; half += n) {
        memcpy((void *)(b.p + half), x, n * sizeof(float));
        memcpy((void *)(before.p + half), x, n * sizeof(float));
    }
    const size_t d = 1 + fz_below(r, n - 1); /* partial overlap by d floats either way */
    const ck_isa isa = fz_isas[fz_below(r, fz_nisas)], absent = fz_absent_isa();
    struct { ck_status got, want; const char *what; } c[] = {
        { unary(fn, b.p, b.p + d, n, tier, isa), CK_ERR_OVERLAP, "y = x + d" },
        { unary(fn, b.p + d, b.p, n, tier, isa), CK_ERR_OVERLAP, "x = y + d" },
        { unary(fn, b.p, b.p + n, n, (ck_tier)(3 + fz_below(r, 1000)), isa), CK_ERR_INVALID_ARGUMENT, "bad tier" },
        { unary(fn, b.p, b.p + n, n, tier, (ck_isa)(5 + fz_below(r, 1000))), CK_ERR_INVALID_ARGUMENT, "bad ISA" },
        { unary(fn, b.p, b.p + n, n, tier, (ck_isa)-1), CK_ERR_INVALID_ARGUMENT, "ISA -1" },
        { absent != CK_ISA_AUTO ? unary(fn, b.p, b.p + n, n, tier, absent) : CK_ERR_UNSUPPORTED, CK_ERR_UNSUPPORTED,
          "absent ISA" },
        { unary(fn, NULL, b.p, n, tier, isa), CK_ERR_NULL_POINTER, "NULL x" },
        { unary(fn, b.p, NULL, n, tier, isa), CK_ERR_NULL_POINTER, "NULL y" },
        { unary(fn, b.p, b.p + n, SIZE_MAX / 4 - fz_below(r, 1000), tier, isa), CK_ERR_INVALID_ARGUMENT,
          "n overflows" },
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; ++k)
        FZ_CHECK(c[k].got == c[k].want, "%s %s %s n=%zu d=%zu: %s returned %d, expected %d", ck_isa_name(isa),
                 fn_names[fn], tier_names[tier], n, d, c[k].what, c[k].got, c[k].want);
    FZ_CHECK(memcmp((const void *)b.p, before.p, 2 * n * sizeof(float)) == 0, "%s %s n=%zu: a rejected call wrote",
             fn_names[fn], tier_names[tier], n);
    fz_check_canaries(&b, "rejected call");
    fz_free(&b);
    fz_free(&before);
}

/* The OpenMP drivers split long buffers; the bits must be the serial call's. */
static void check_openmp(fz_rng *r, int fn, ck_tier tier)
{
    const size_t n = 2 * CK_OMP_GRAIN + fz_below(r, 3 * CK_OMP_GRAIN);
    float *x = fz_xmalloc(n * sizeof(float)), *want = fz_xmalloc(n * sizeof(float));
    const int cls = (int)fz_below(r, FZ_CLASSES);
    for (size_t i = 0; i < n; ++i)
        x[i] = fz_float(r, cls);
    FZ_CHECK(unary(fn, x, want, n, tier, CK_ISA_AUTO) == CK_OK, "serial call failed");
    fz_buf y = fz_alloc_poisoned(n, fz_below(r, 16));
    const int threads = (int)fz_below(r, 5);
    ck_status st = (fn ? ck_tanh_f32_omp : ck_sigmoid_f32_omp)(x, y.p, n, tier, threads);
    float *got = fz_read(&y);
    size_t at = fz_first_diff(got, want, n);
    FZ_CHECK(st == CK_OK && at == n, "%s_f32_omp %s n=%zu threads=%d: status %d, first difference at %zu",
             fn_names[fn], tier_names[tier], n, threads, st, at);
    fz_check_canaries(&y, "OpenMP driver output");
    free(x), free(want), free(got);
    fz_free(&y);
}

/* ---- half formats ---------------------------------------------------------------------------- */

typedef ck_status (*half_fn)(const uint16_t *, uint16_t *, size_t, ck_tier, ck_isa);
static const half_fn half_kernels[2][2] = { { ck_sigmoid_bf16_isa, ck_tanh_bf16_isa },
                                            { ck_sigmoid_f16_isa, ck_tanh_f16_isa } };

static int cmp_half_value(int f16, const void *a, const void *b)
{
    float x = fz_half_value(f16, *(const uint16_t *)a), y = fz_half_value(f16, *(const uint16_t *)b);
    return (x > y) - (x < y);
}
static int cmp_bf16(const void *a, const void *b) { return cmp_half_value(0, a, b); }
static int cmp_f16(const void *a, const void *b) { return cmp_half_value(1, a, b); }

static void half_case(fz_rng *r)
{
    const size_t n = pick_length(r);
    const int f16 = (int)fz_below(r, 2), fn = (int)fz_below(r, 2), mixed = fz_chance(r, 50);
    const int cls = (int)fz_below(r, FZ_CLASSES);
    const ck_tier tier = (ck_tier)fz_below(r, 3);
    const size_t xshift = fz_below(r, 16), yshift = fz_below(r, 16);
    const half_fn kernel = half_kernels[f16][fn];
    const char *fmt = fz_format_names[f16], *fname = fn_names[fn], *tname = tier_names[tier];
    uint16_t *x = fz_xmalloc(n * sizeof(uint16_t)), *want = fz_xmalloc(n * sizeof(uint16_t));
    for (size_t i = 0; i < n; ++i)
        x[i] = fz_half(r, f16, mixed ? (int)fz_below(r, FZ_CLASSES) : cls);

    FZ_CHECK(kernel(x, want, n, tier, CK_ISA_SCALAR) == CK_OK, "scalar %s %s %s n=%zu: status", fmt, fname, tname, n);
    int any_nan = 0;
    for (size_t i = 0; i < n; ++i) {
        float in = fz_half_value(f16, x[i]), v = fz_half_value(f16, want[i]);
        any_nan |= in != in;
        if (in != in)
            FZ_CHECK(v != v, "%s %s %s(0x%04x) = 0x%04x: NaN in must give NaN", fmt, fname, tname, x[i], want[i]);
        else
            FZ_CHECK(fn ? v >= -1.0f && v <= 1.0f : v >= 0.0f && v <= 1.0f, "%s %s %s(0x%04x) = 0x%04x: out of range",
                     fmt, fname, tname, x[i], want[i]);
    }
    for (size_t k = 0; k < fz_nisas; ++k) {
        const ck_isa isa = fz_isas[k];
        const char *iname = ck_isa_name(isa);
        fz_buf xb = fz_alloc16(n, xshift, x), yb = fz_alloc16(n, yshift, NULL), ib = fz_alloc16(n, yshift, x);
        feclearexcept(FE_ALL_EXCEPT);
        ck_status s1 = kernel(fz_p16(&xb), fz_p16(&yb), n, tier, isa);
        ck_status s2 = kernel(fz_p16(&ib), fz_p16(&ib), n, tier, isa);
        check_flags(any_nan, iname, fmt, fname, tname, n);
        FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s %s %s %s n=%zu: status %d, in place %d", iname, fmt, fname, tname, n,
                 s1, s2);
        fz_check_canaries(&xb, "x");
        fz_check_canaries(&yb, "y");
        fz_check_canaries(&ib, "in-place buffer");
        uint16_t *xa = fz_read16(&xb), *got = fz_read16(&yb), *inplace = fz_read16(&ib);
        FZ_CHECK(memcmp(xa, x, n * sizeof *x) == 0, "%s %s %s %s n=%zu: the input changed", iname, fmt, fname, tname, n);
        for (size_t i = 0; i < n; ++i) {
            FZ_CHECK(got[i] == want[i], "%s %s %s %s n=%zu offsets %zu/%zu: f(0x%04x) = 0x%04x at %zu, scalar gives 0x%04x",
                     iname, fmt, fname, tname, n, xshift, yshift, x[i], got[i], i, want[i]);
            FZ_CHECK(inplace[i] == got[i], "%s %s %s %s n=%zu: in place f(0x%04x) = 0x%04x at %zu, out of place 0x%04x",
                     iname, fmt, fname, tname, n, x[i], inplace[i], i, got[i]);
        }
        free(xa), free(got), free(inplace);
        fz_free(&xb), fz_free(&yb), fz_free(&ib);
    }

    /* monotone: the non-NaN inputs sorted by value, on the active ISA */
    size_t m = 0;
    for (size_t i = 0; i < n; ++i)
        if (fz_half_value(f16, x[i]) == fz_half_value(f16, x[i]))
            x[m++] = x[i];
    qsort(x, m, sizeof *x, f16 ? cmp_f16 : cmp_bf16);
    kernel(x, want, m, tier, CK_ISA_AUTO);
    for (size_t i = 1; i < m; ++i)
        FZ_CHECK(!(fz_half_value(f16, want[i]) < fz_half_value(f16, want[i - 1])),
                 "%s %s %s not monotone: f(0x%04x) = 0x%04x > f(0x%04x) = 0x%04x", fmt, fname, tname, x[i - 1],
                 want[i - 1], x[i], want[i]);
    free(x), free(want);
}

static void fz_run_case(fz_rng *r)
{
    if (fz_chance(r, 25)) {
        half_case(r);
        return;
    }
    const size_t n = pick_length(r);
    const int fn = (int)fz_below(r, 2);
    const ck_tier tier = (ck_tier)fz_below(r, 3);
    const unsigned ftz_daz = fz_chance(r, 25) ? 1 + (unsigned)fz_below(r, 3) : 0;
    const size_t xshift = fz_below(r, 16), yshift = fz_below(r, 16);
    const int mixed = fz_chance(r, 50), cls = (int)fz_below(r, FZ_CLASSES);
    float *x = fz_xmalloc(n * sizeof(float)), *want = fz_xmalloc(n * sizeof(float));
    for (size_t i = 0; i < n; ++i)
        x[i] = fz_float(r, mixed ? (int)fz_below(r, FZ_CLASSES) : cls);
    const char *fname = fn_names[fn], *tname = tier_names[tier];

    /* the reference: the scalar path with FTZ/DAZ off */
    fz_set_ftz_daz(0);
    FZ_CHECK(unary(fn, x, want, n, tier, CK_ISA_SCALAR) == CK_OK, "scalar %s %s n=%zu: status", fname, tname, n);
    int any_nan = 0;
    for (size_t i = 0; i < n; ++i) {
        float v = want[i];
        any_nan |= x[i] != x[i];
        if (x[i] != x[i])
            FZ_CHECK(v != v, "%s %s(%a) = %a: NaN in must give NaN", fname, tname, (double)x[i], (double)v);
        else
            FZ_CHECK(fn ? v >= -1.0f && v <= 1.0f : v >= 0.0f && v <= 1.0f, "%s %s(%a) = %a: out of range", fname,
                     tname, (double)x[i], (double)v);
    }
    if (fn) { /* tanh is odd, bit for bit */
        float *neg = fz_xmalloc(n * sizeof(float)), *yneg = fz_xmalloc(n * sizeof(float));
        for (size_t i = 0; i < n; ++i)
            neg[i] = -x[i];
        unary(fn, neg, yneg, n, tier, CK_ISA_SCALAR);
        for (size_t i = 0; i < n; ++i)
            FZ_CHECK(fz_same(yneg[i], -want[i]), "tanh %s(%a) = %a but tanh(%a) = %a", tname, (double)-x[i],
                     (double)yneg[i], (double)x[i], (double)want[i]);
        free(neg), free(yneg);
    }

    /* every ISA, out of place and in place, at the case's byte offsets and FTZ/DAZ setting */
    fz_set_ftz_daz(ftz_daz);
    const unsigned control = fz_fp_control();
    for (size_t k = 0; k < fz_nisas; ++k) {
        const ck_isa isa = fz_isas[k];
        const char *iname = ck_isa_name(isa);
        fz_buf xb = fz_alloc(n, xshift, x), yb = fz_alloc_poisoned(n, yshift), ib = fz_alloc(n, yshift, x);
        feclearexcept(FE_ALL_EXCEPT);
        ck_status s1 = unary(fn, xb.p, yb.p, n, tier, isa);
        ck_status s2 = unary(fn, ib.p, ib.p, n, tier, isa);
        check_flags(any_nan, iname, "f32", fname, tname, n);
        FZ_CHECK(fz_fp_control() == control, "%s %s %s n=%zu: FP control register %#x became %#x", iname, fname,
                 tname, n, control, fz_fp_control());
        FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s %s %s n=%zu: status %d, in place %d", iname, fname, tname, n, s1, s2);
        fz_check_canaries(&xb, "x");
        fz_check_canaries(&yb, "y");
        fz_check_canaries(&ib, "in-place buffer");
        float *xa = fz_read(&xb), *got = fz_read(&yb), *inplace = fz_read(&ib);
        FZ_CHECK(memcmp(xa, x, n * sizeof(float)) == 0, "%s %s %s n=%zu: the input changed", iname, fname, tname, n);
        for (size_t i = 0; i < n; ++i) {
            int exempt = ftz_daz && (subnormal(x[i]) || subnormal(want[i]) || subnormal(got[i]));
            FZ_CHECK(exempt || fz_same(got[i], want[i]),
                     "%s %s %s n=%zu offsets %zu/%zu ftz_daz=%u: f(%a) = %a at %zu, scalar gives %a", iname, fname,
                     tname, n, xshift, yshift, ftz_daz, (double)x[i], (double)got[i], i, (double)want[i]);
            FZ_CHECK(fz_same(inplace[i], got[i]), "%s %s %s n=%zu: in place f(%a) = %a at %zu, out of place %a",
                     iname, fname, tname, n, (double)x[i], (double)inplace[i], i, (double)got[i]);
        }
        free(xa), free(got), free(inplace);
        fz_free(&xb), fz_free(&yb), fz_free(&ib);
    }
    fz_set_ftz_daz(0);

    /* monotone: the non-NaN inputs sorted, on the active ISA */
    size_t m = 0;
    for (size_t i = 0; i < n; ++i)
        if (x[i] == x[i])
            x[m++] = x[i];
    qsort(x, m, sizeof(float), cmp_float);
    unary(fn, x, want, m, tier, CK_ISA_AUTO);
    for (size_t i = 1; i < m; ++i)
        FZ_CHECK(!(want[i] < want[i - 1]), "%s %s not monotone: f(%a) = %a > f(%a) = %a", fname, tname,
                 (double)x[i - 1], (double)want[i - 1], (double)x[i], (double)want[i]);
    if (fz_chance(r, 20))
        check_rejections(r, x, m, fn, tier);
    if (fz_chance(r, 2))
        check_openmp(r, fn, tier);
    free(x), free(want);
}
