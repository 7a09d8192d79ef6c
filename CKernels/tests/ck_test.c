/* The C library's own test program (no Swift). For every ISA this CPU and build have, forced per
 * call through the _isa entry points: the accuracy contract on sampled sweeps (CKernelsEval), the
 * special values, tails and misaligned buffers (with guard pages), in-place calls, FTZ/DAZ
 * independence, the floating-point exception flags (and traps), status codes, ISA selection, cross-ISA bitwise equality
 * (on AVX-512 CPUs with AVX512-BF16 also of the two bf16 narrowings, over every float; on AArch64
 * CPUs with FEAT_BF16 under each FPCR setting BFCVTN reads), the LSTM and GRU gate
 * updates (forward and backward) against the documented float formula and a double reference, and
 * the OpenMP drivers against the serial calls (bit for bit, for several team sizes).
 *
 *   ck_test [--stride N] [--threads T] [--exhaustive]
 *   ck_test --digest-all func:tier[,...] [--isa NAME] [--threads T]     (see "every float" below)
 *
 * --stride N: the contract sweeps take every N-th float of the whole float line (default 40009) and
 * every max(1, N/64)-th float of [-20, 20], plus every float of small windows where the functions
 * bend; --exhaustive: every float. It prints a digest of each (function, tier) over a fixed input
 * set and of every gate-update output; the ISAs must agree on them here, and scripts/ci-c.sh
 * compares them across machines (x86 against AArch64 under qemu). The last line is
 * "N passed, N failed"; the exit status is 1 on any failure. */
#define _GNU_SOURCE /* feenableexcept */
#include <fenv.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ck_eval.h"
#include "ckernels.h"
#include "ckernels_omp.h"
/* the kernel tables, to run both bf16 narrowings on AVX-512 CPUs with AVX512-BF16 and on AArch64
 * CPUs with FEAT_BF16 */
#include "../src/ck_internal.h"
#if CK_X86
#include "../src/vec_avx512.h" /* ck_round_bf16 and ck_round_bf16_native, compared over every float */
#define NATIVE_BF16_ISA CK_ISA_AVX512 /* the ISA with a second set of bf16 kernels, and their narrowing */
#define NATIVE_BF16 "vcvtneps2bf16"
#elif CK_ARM64
#include "../src/vec_neon.h" /* the same pair, compared under each FPCR setting BFCVTN reads */
#define NATIVE_BF16_ISA CK_ISA_NEON
#define NATIVE_BF16 "BFCVTN"
#endif

/* ---- bookkeeping --------------------------------------------------------------------------- */

static unsigned long passed, failed;

static int check(int ok, const char *fmt, ...)
{
    if (ok) {
        passed++;
        return 1;
    }
    failed++;
    if (failed <= 200) {
        va_list ap;
        va_start(ap, fmt);
        fputs("FAIL: ", stdout);
        vprintf(fmt, ap);
        fputc('\n', stdout);
        va_end(ap);
    }
    return 0;
}

static const char *const tier_names[] = { "precise", "fast", "approximate" };
static const char *const func_names[] = { "sigmoid", "tanh" };
static const ck_tier tiers[] = { CK_PRECISE, CK_FAST, CK_APPROXIMATE };
static const ck_func funcs[] = { CK_FUNC_SIGMOID, CK_FUNC_TANH };
#define NTIERS 3
#define NFUNCS 2

static ck_isa isas[4]; /* the ISAs this CPU and build run, scalar first */
static size_t nisas;

static uint32_t bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static float from_bits(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
/* bitwise equal, or both NaN (NaN payloads are not part of the contract) */
static int same(float a, float b) { return bits(a) == bits(b) || (a != a && b != b); }

static ck_status run(ck_func f, const float *x, float *y, size_t n, ck_tier tier, ck_isa isa)
{
    return f == CK_FUNC_SIGMOID ? ck_sigmoid_f32_isa(x, y, n, tier, isa) : ck_tanh_f32_isa(x, y, n, tier, isa);
}

typedef struct { ck_func f; ck_tier tier; ck_isa isa; } subject;

static void eval_impl(const float *x, float *y, size_t n, void *ctx)
{
    const subject *s = ctx;
    if (run(s->f, x, y, n, s->tier, s->isa) != CK_OK)
        for (size_t i = 0; i < n; ++i)
            y[i] = NAN; /* shows up as out of range */
}

static void *checked(void *p)
{
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}
static void *xmalloc(size_t bytes) { return checked(malloc(bytes)); }
static double *xcalloc_doubles(size_t n) { return checked(calloc(n, sizeof(double))); }

/* deterministic pseudo-random floats in [lo, hi) */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t random_bits(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 32);
}
static float uniform(float lo, float hi) { return lo + (hi - lo) * (float)(random_bits() >> 8) * 0x1p-24f; }

/* ---- the accuracy contract ----------------------------------------------------------------- */

static void expect_contract(const char *where, const subject *s, const ck_eval_stats *st)
{
    const char *isa = ck_isa_name(s->isa), *fn = func_names[s->f], *tier = tier_names[s->tier];
    if (s->tier == CK_APPROXIMATE)
        check(st->max_abs <= 2e-4, "%s %s %s %s: max abs error %.3g at x=%a > 2e-4", isa, fn, tier, where,
              st->max_abs, (double)st->max_abs_x);
    else {
        uint32_t bound = s->tier == CK_PRECISE ? 2 : 4;
        check(st->max_ulp <= bound, "%s %s %s %s: %u ulp at x=%a > %u", isa, fn, tier, where, st->max_ulp,
              (double)st->max_ulp_x, bound);
    }
    check(st->monotonicity_violations == 0, "%s %s %s %s: %" PRIu64 " monotonicity violations, first at x=%a", isa,
          fn, tier, where, st->monotonicity_violations, (double)st->first_violation_x);
    check(st->out_of_range == 0, "%s %s %s %s: %" PRIu64 " results out of range, first at x=%a", isa, fn, tier,
          where, st->out_of_range, (double)st->first_out_of_range_x);
    check(st->nonfinite == 0, "%s %s %s %s: %" PRIu64 " non-finite results for finite input, first at x=%a", isa,
          fn, tier, where, st->nonfinite, (double)st->first_nonfinite_x);
    check(st->nan_not_propagated == 0, "%s %s %s %s: NaN 0x%08x did not give NaN", isa, fn, tier, where,
          st->first_nan_not_propagated_bits);
    if (s->f == CK_FUNC_TANH)
        check(st->odd_violations == 0, "%s %s %s %s: tanh(-x) != -tanh(x) at %" PRIu64 " inputs, first x=%a", isa,
              tier, where, st->odd_violations, (double)st->first_odd_violation_x);
}

/* Sweeps every tier on every ISA of one function at once (the reference is computed once). */
static void sweep(ck_func f, const char *where, uint64_t first, uint64_t last, uint64_t stride, int threads,
                  int nans, int verbose)
{
    subject subj[NTIERS * 4];
    ck_eval_subject es[NTIERS * 4] = { { 0 } };
    ck_eval_stats st[NTIERS * 4];
    size_t n = 0;
    for (size_t i = 0; i < nisas; ++i)
        for (int t = 0; t < NTIERS; ++t) {
            subj[n] = (subject){ f, tiers[t], isas[i] };
            es[n] = (ck_eval_subject){ eval_impl, &subj[n] };
            ++n;
        }
    ck_eval_range r = { .first = first, .last = last, .stride = stride, .threads = threads, .include_nans = nans };
    if (!check(ck_eval_sweep_many(f, es, n, &r, st) == 0, "%s %s: ck_eval_sweep_many failed", func_names[f], where))
        return;
    for (size_t i = 0; i < n; ++i) {
        expect_contract(where, &subj[i], &st[i]);
        if (verbose)
            printf("  %-6s %-7s %-11s %-12s %11" PRIu64 " inputs  max %u ulp (x=%-14a)  max abs %.3g  %.1f s\n",
                   ck_isa_name(subj[i].isa), func_names[f], tier_names[subj[i].tier], where, st[i].inputs,
                   st[i].max_ulp, (double)st[i].max_ulp_x, st[i].max_abs, st[i].seconds);
    }
}

static void test_contract(uint64_t stride, int threads)
{
    /* where the functions bend, saturate, clamp or flush: every float nearby */
    static const float bends[] = { 0.0f, 0.5f, -0.5f, 1.0f, -1.0f, 5.0f, -5.0f, 9.0f, -9.0f, 11.0f, -11.0f,
                                   17.0f, -17.0f, 19.0f, -19.0f, -87.3365f };
    printf("contract sweeps (stride %" PRIu64 ", %d threads):\n", stride, threads);
    for (int fi = 0; fi < NFUNCS; ++fi) {
        ck_func f = funcs[fi];
        sweep(f, "whole line", 0, CK_ORDERED_COUNT - 1, stride, threads, 1, 1);
        if (stride == 1)
            continue;
        uint64_t dense = stride / 64 ? stride / 64 : 1;
        sweep(f, "[-20, 20]", ck_ordered_index(-20.0f), ck_ordered_index(20.0f), dense, threads, 0, 1);
        for (size_t b = 0; b < sizeof bends / sizeof bends[0]; ++b) {
            uint64_t k = ck_ordered_index(bends[b]);
            char where[32];
            snprintf(where, sizeof where, "near %g", (double)bends[b]);
            sweep(f, where, k - 20000, k + 20000, 1, threads, 0, 0);
        }
    }
}

static void test_specials(void)
{
    for (size_t i = 0; i < nisas; ++i)
        for (int fi = 0; fi < NFUNCS; ++fi)
            for (int t = 0; t < NTIERS; ++t) {
                subject s = { funcs[fi], tiers[t], isas[i] };
                ck_special_result res[CK_SPECIAL_COUNT];
                ck_eval_specials(s.f, eval_impl, &s, res);
                for (int k = 0; k < CK_SPECIAL_COUNT; ++k)
                    check(res[k].pass, "%s %s %s special %s: f(%a) = %a, expected %a", ck_isa_name(s.isa),
                          func_names[s.f], tier_names[s.tier], ck_special_name((ck_special)k), (double)res[k].x,
                          (double)res[k].y, (double)res[k].expected);
                /* exact values the contract names, beyond ck_eval_specials' rows */
                float x[] = { 0.0f, 100.0f, -100.0f, FLT_MAX, -FLT_MAX }, y[5];
                run(s.f, x, y, 5, s.tier, s.isa);
                if (s.f == CK_FUNC_SIGMOID)
                    check(y[0] == 0.5f && y[1] == 1.0f && y[2] == 0.0f && y[3] == 1.0f && y[4] == 0.0f,
                          "%s sigmoid %s: (0, 100, -100, FLT_MAX, -FLT_MAX) -> (%a %a %a %a %a)", ck_isa_name(s.isa),
                          tier_names[s.tier], (double)y[0], (double)y[1], (double)y[2], (double)y[3], (double)y[4]);
                else
                    check(bits(y[0]) == 0 && y[1] == 1.0f && y[2] == -1.0f && y[3] == 1.0f && y[4] == -1.0f,
                          "%s tanh %s: (0, 100, -100, FLT_MAX, -FLT_MAX) -> (%a %a %a %a %a)", ck_isa_name(s.isa),
                          tier_names[s.tier], (double)y[0], (double)y[1], (double)y[2], (double)y[3], (double)y[4]);
            }
}

/* ---- a fixed input set: cross-ISA equality, digests, FTZ/DAZ --------------------------------- */

#define PROBE_COUNT (1u << 18)

/* Half spread over the whole float line, half over [-20, 20], then NaNs, infinities, zeros and
 * denormals. */
static float *probe_inputs(void)
{
    float *x = xmalloc(PROBE_COUNT * sizeof(float));
    static const uint32_t specials[] = { 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff812345u, 0x7f800000u,
                                         0xff800000u, 0x00000000u, 0x80000000u, 0x00000001u, 0x80000001u,
                                         0x007fffffu, 0x807fffffu, 0x00800000u, 0x80800000u, 0x7f7fffffu,
                                         0xff7fffffu };
    size_t ns = sizeof specials / sizeof specials[0], half = (PROBE_COUNT - ns) / 2;
    uint64_t lo = ck_ordered_index(-20.0f), hi = ck_ordered_index(20.0f);
    for (size_t i = 0; i < half; ++i)
        x[i] = ck_ordered_float(i * (CK_ORDERED_COUNT - 1) / (half - 1));
    for (size_t i = 0; i < PROBE_COUNT - ns - half; ++i)
        x[half + i] = ck_ordered_float(lo + i * (hi - lo) / (PROBE_COUNT - ns - half - 1));
    for (size_t i = 0; i < ns; ++i)
        x[PROBE_COUNT - ns + i] = from_bits(specials[i]);
    return x;
}

/* FNV-1a over the result bits, every NaN counted as the same NaN; start from DIGEST_SEED */
#define DIGEST_SEED 0xcbf29ce484222325ull
static uint64_t digest(uint64_t h, const float *y, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        uint32_t u = y[i] != y[i] ? 0x7fc00000u : bits(y[i]);
        for (int b = 0; b < 4; ++b) {
            h ^= (u >> (8 * b)) & 0xffu;
            h *= 0x100000001b3ull;
        }
    }
    return h;
}

static void test_cross_isa_and_digests(const float *x)
{
    float *ref = xmalloc(PROBE_COUNT * sizeof(float)), *y = xmalloc(PROBE_COUNT * sizeof(float));
    for (int fi = 0; fi < NFUNCS; ++fi)
        for (int t = 0; t < NTIERS; ++t) {
            run(funcs[fi], x, ref, PROBE_COUNT, tiers[t], CK_ISA_SCALAR);
            for (size_t i = 1; i < nisas; ++i) {
                run(funcs[fi], x, y, PROBE_COUNT, tiers[t], isas[i]);
                size_t bad = 0, first = 0;
                for (size_t k = 0; k < PROBE_COUNT; ++k)
                    if (!same(y[k], ref[k]) && bad++ == 0)
                        first = k;
                check(bad == 0, "%s %s %s differs from scalar at %zu inputs, first f(%a) = %a vs %a", ck_isa_name(isas[i]),
                      func_names[fi], tier_names[t], bad, (double)x[first], (double)y[first], (double)ref[first]);
            }
            printf("digest %s %s %016" PRIx64 "\n", func_names[fi], tier_names[t], digest(DIGEST_SEED, ref, PROBE_COUNT));
        }
    free(ref);
    free(y);
}

/* The caller's FTZ/DAZ setting changes nothing but subnormal results, and the kernels leave it. */
static void test_ftz_daz(const float *x)
{
    enum { N = 8192 };
    float xs[N], y0[N], y1[N];
    for (size_t k = 0; k < N; ++k)
        xs[k] = x[k * (PROBE_COUNT / N)];
    memcpy(xs + N - 16, x + PROBE_COUNT - 16, 16 * sizeof(float)); /* the special values */
    unsigned saved = ck_eval_get_ftz_daz();
    for (size_t i = 0; i < nisas; ++i)
        for (int fi = 0; fi < NFUNCS; ++fi)
            for (int t = 0; t < NTIERS; ++t) {
                ck_eval_set_ftz_daz(0);
                run(funcs[fi], xs, y0, N, tiers[t], isas[i]);
                check(ck_eval_get_ftz_daz() == 0, "%s %s %s changed FTZ/DAZ from off", ck_isa_name(isas[i]),
                      func_names[fi], tier_names[t]);
                ck_eval_set_ftz_daz(3);
                unsigned on = ck_eval_get_ftz_daz();
                run(funcs[fi], xs, y1, N, tiers[t], isas[i]);
                check(ck_eval_get_ftz_daz() == on, "%s %s %s changed FTZ/DAZ from on", ck_isa_name(isas[i]),
                      func_names[fi], tier_names[t]);
                ck_eval_set_ftz_daz(0);
                size_t bad = 0, first = 0;
                for (size_t k = 0; k < N; ++k) {
                    int subnormal = fpclassify(y0[k]) == FP_SUBNORMAL || fpclassify(xs[k]) == FP_SUBNORMAL;
                    if (!subnormal && !same(y0[k], y1[k]) && bad++ == 0)
                        first = k;
                }
                check(bad == 0, "%s %s %s: %zu results change under FTZ/DAZ, first f(%a) = %a vs %a",
                      ck_isa_name(isas[i]), func_names[fi], tier_names[t], bad, (double)xs[first], (double)y1[first],
                      (double)y0[first]);
            }
    ck_eval_set_ftz_daz(saved);
}

/* ---- tails, alignment, in place, guard pages ----------------------------------------------- */

#define MAXN 64
#define PAD 8
#define SENTINEL 0x7fbadbadu /* a NaN pattern no kernel produces */

static const char *volatile guard_case = "";

static void on_segv(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL: memory fault (read or write past the end of a buffer) in ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, guard_case, strlen(guard_case)) < 0 || write(2, "\n", 1) < 0)
        _exit(3);
    _exit(3);
}

/* A buffer of `floats` that ends exactly at an inaccessible page. */
static float *guarded(size_t floats, void **map, size_t *map_len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = ((floats * sizeof(float) + page - 1) / page + 1) * page;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p + len - page, page, PROT_NONE) != 0) {
        fprintf(stderr, "mmap/mprotect failed\n");
        exit(2);
    }
    *map = p;
    *map_len = len;
    return (float *)(p + len - page) - floats;
}

static void test_tails(void)
{
    float data[MAXN], expect[MAXN], xbuf[MAXN + PAD], ybuf[MAXN + PAD];
    for (size_t i = 0; i < MAXN; ++i)
        data[i] = uniform(-20.0f, 20.0f);
    data[5] = NAN;
    data[17] = INFINITY;
    data[30] = -0.0f;
    data[63] = -INFINITY;
    signal(SIGSEGV, on_segv);
    void *xmap, *ymap;
    size_t xlen, ylen;
    float *gx = guarded(MAXN, &xmap, &xlen), *gy = guarded(MAXN, &ymap, &ylen);
    char label[96];
    for (size_t i = 0; i < nisas; ++i)
        for (int fi = 0; fi < NFUNCS; ++fi)
            for (int t = 0; t < NTIERS; ++t) {
                ck_func f = funcs[fi];
                const char *isa = ck_isa_name(isas[i]), *fn = func_names[fi], *tier = tier_names[t];
                for (size_t k = 0; k < MAXN; ++k) /* one element at a time on scalar: position-free */
                    run(f, data + k, expect + k, 1, tiers[t], CK_ISA_SCALAR);
                size_t bad_values = 0, bad_writes = 0, bad_inplace = 0;
                for (size_t off = 0; off < 4; ++off)
                    for (size_t n = 0; n <= MAXN - off; ++n) {
                        for (size_t k = 0; k < MAXN + PAD; ++k)
                            ybuf[k] = from_bits(SENTINEL);
                        memcpy(xbuf + off, data, n * sizeof(float));
                        check(run(f, xbuf + off, ybuf + off, n, tiers[t], isas[i]) == CK_OK,
                              "%s %s %s: status for n=%zu offset %zu", isa, fn, tier, n, off);
                        for (size_t k = 0; k < MAXN + PAD; ++k) {
                            int inside = k >= off && k < off + n;
                            if (inside && !same(ybuf[k], expect[k - off]))
                                bad_values++;
                            if (!inside && bits(ybuf[k]) != SENTINEL)
                                bad_writes++;
                        }
                        memcpy(xbuf + off, data, n * sizeof(float)); /* in place */
                        run(f, xbuf + off, xbuf + off, n, tiers[t], isas[i]);
                        for (size_t k = 0; k < n; ++k)
                            bad_inplace += !same(xbuf[off + k], expect[k]);
                    }
                check(bad_values == 0, "%s %s %s: %zu wrong results over lengths 0..64 and offsets 0..3", isa, fn,
                      tier, bad_values);
                check(bad_writes == 0, "%s %s %s: %zu writes outside [y, y+n)", isa, fn, tier, bad_writes);
                check(bad_inplace == 0, "%s %s %s: %zu in-place results differ", isa, fn, tier, bad_inplace);
                /* input and output ending right at an unmapped page: a fault means a read or write past n */
                for (size_t n = 1; n <= MAXN; ++n) {
                    snprintf(label, sizeof label, "%s %s %s n=%zu", isa, fn, tier, n);
                    guard_case = label;
                    memcpy(gx + MAXN - n, data, n * sizeof(float));
                    run(f, gx + MAXN - n, gy + MAXN - n, n, tiers[t], isas[i]);
                    size_t bad = 0;
                    for (size_t k = 0; k < n; ++k)
                        bad += !same(gy[MAXN - n + k], expect[k]);
                    check(bad == 0, "%s: %zu wrong results at a page end", label, bad);
                }
            }
    guard_case = "";
    munmap(xmap, xlen);
    munmap(ymap, ylen);
    signal(SIGSEGV, SIG_DFL);
}

/* ---- half-format storage: every bf16 and binary16 input ------------------------------------
 *
 * For each format x function x tier x path (each ISA's kernels; on AVX-512 CPUs with AVX512-BF16
 * and AArch64 CPUs with FEAT_BF16 both bf16 narrowings, the integer rounding and vcvtneps2bf16 or
 * BFCVTN), over all 65,536 bit patterns: the
 * distance in ulps of the format to the correctly rounded result of the exact function and the
 * share correctly rounded (by the engine's rule, ck_eval_half in CKernelsEval/src/half.c), monotonicity, range, specials, NaN -> quiet NaN, oddness and bitwise equality
 * with the scalar path, NaNs included. Then the public entry points on every ISA, tails, in place,
 * guard pages, FTZ/DAZ, status codes, the OpenMP driver, and a digest per format, function and
 * tier that scripts/ci-c.sh compares across machines. */

static const char *const format_names[] = { "bf16", "f16" };
#define HALF_COUNT 65536u

typedef struct {
    char name[24];
    ck_isa isa;
    const ck_half_kernels *k;
} half_path;

static uint16_t half_inf(ck_eval_format f) { return f == CK_EVAL_BF16 ? 0x7f80u : 0x7c00u; }

static size_t half_paths(ck_eval_format f, half_path *out)
{
    size_t n = 0;
    for (size_t i = 0; i < nisas; ++i) {
        const ck_kernel_table *t;
        ck_table(isas[i], &t); /* isas[] are this CPU's */
        out[n] = (half_path){ "", isas[i], f == CK_EVAL_BF16 ? &t->bf16 : &t->f16 };
        snprintf(out[n++].name, sizeof out->name, "%s", ck_isa_name(isas[i]));
#ifdef NATIVE_BF16
        if (f == CK_EVAL_BF16 && ck_bf16_kernels(isas[i]) != &t->bf16) {
            snprintf(out[n - 1].name, sizeof out->name, "%s integer", ck_isa_name(isas[i]));
            out[n] = (half_path){ "", isas[i], ck_bf16_kernels(isas[i]) };
            snprintf(out[n++].name, sizeof out->name, "%s " NATIVE_BF16, ck_isa_name(isas[i]));
        }
#endif
    }
    return n;
}

static ck_half_fn half_kernel(const half_path *p, ck_func f, int t)
{
    return (f == CK_FUNC_SIGMOID ? p->k->sigmoid : p->k->tanh)[t];
}

static ck_status half_api(ck_eval_format fmt, ck_func f, const uint16_t *x, uint16_t *y, size_t n, ck_tier tier,
                          ck_isa isa)
{
    if (fmt == CK_EVAL_BF16)
        return (f == CK_FUNC_SIGMOID ? ck_sigmoid_bf16_isa : ck_tanh_bf16_isa)(x, y, n, tier, isa);
    return (f == CK_FUNC_SIGMOID ? ck_sigmoid_f16_isa : ck_tanh_f16_isa)(x, y, n, tier, isa);
}

static uint64_t digest16(const uint16_t *y, size_t n)
{
    uint64_t h = DIGEST_SEED;
    for (size_t i = 0; i < n; ++i)
        for (int b = 0; b < 2; ++b) {
            h ^= (y[i] >> (8 * b)) & 0xffu;
            h *= 0x100000001b3ull;
        }
    return h;
}

/* The certificate of one format x function x tier x path over every input, by the engine's rule
 * (ck_eval_half: the same statistics `gatekernels accuracy` shows). */
static void half_certificate(ck_eval_format fmt, ck_func f, int t, const half_path *p, const uint16_t *x,
                             const uint16_t *scalar_y)
{
    uint16_t *y = xmalloc(HALF_COUNT * sizeof *y);
    half_kernel(p, f, t)(x, y, HALF_COUNT);
    const char *fmtn = format_names[fmt], *fn = func_names[f], *tier = tier_names[t];
    unsigned differ = 0;
    uint16_t differ_x = 0;
    for (uint32_t i = 0; i < HALF_COUNT; ++i)
        if (y[i] != scalar_y[i] && differ++ == 0)
            differ_x = (uint16_t)i;
    ck_eval_half_stats s;
    check(ck_eval_half(f, fmt, y, &s) == 0, "ck_eval_half");
    double share = 100.0 * s.correct / s.measured;
    const char *where = p->name;
    check(s.near_ties == 0, "%s %s: %u references too close to a rounding midpoint to decide", fmtn, fn, s.near_ties);
    if (t == CK_APPROXIMATE)
        check(ck_eval_half_within_bound(&s, 1), "%s %s %s %s: %u results beyond 2e-4 + half an ulp, first x=0x%04x",
              fmtn, fn, tier, where, s.over_abs, s.over_abs_x);
    else
        check(ck_eval_half_within_bound(&s, 0), "%s %s %s %s: max %u ulp at x=0x%04x, %.3f%% correctly rounded", fmtn,
              fn, tier, where, s.max_ulp, s.max_ulp_x, share);
    check(s.not_monotone == 0, "%s %s %s %s: %u monotonicity violations", fmtn, fn, tier, where, s.not_monotone);
    check(s.out_of_range == 0, "%s %s %s %s: %u results out of range", fmtn, fn, tier, where, s.out_of_range);
    check(s.bad_nan == 0, "%s %s %s %s: %u NaN inputs whose result is not the input made quiet", fmtn, fn, tier, where,
          s.bad_nan);
    check(s.not_odd == 0, "%s %s %s %s: tanh(-x) != -tanh(x) at %u inputs", fmtn, fn, tier, where, s.not_odd);
    check(s.specials_pass, "%s %s %s %s: special values (+-0, +-inf)", fmtn, fn, tier, where);
    check(differ == 0, "%s %s %s %s: %u results differ from scalar, first x=0x%04x: 0x%04x vs 0x%04x", fmtn, fn, tier,
          where, differ, differ_x, y[differ_x], scalar_y[differ_x]);
    printf("  %-4s %-7s %-11s %-20s max %u ulp  correctly rounded %5u/%5u (%7.3f%%)  max abs %.2e  flushed %u  "
           "monotone %s  odd %s  NaN->qNaN %s\n",
           fmtn, fn, tier, where, s.max_ulp, s.correct, s.measured, share, s.max_abs, s.flushed,
           s.not_monotone ? "NO" : "yes", f == CK_FUNC_TANH ? (s.not_odd ? "NO" : "yes") : "-", s.bad_nan ? "NO" : "yes");
    free(y);
}

static void test_half_exhaustive(void)
{
    uint16_t *x = xmalloc(HALF_COUNT * sizeof *x);
    uint16_t *scalar_y = xmalloc(HALF_COUNT * sizeof *scalar_y), *y = xmalloc(HALF_COUNT * sizeof *y);
    for (uint32_t i = 0; i < HALF_COUNT; ++i)
        x[i] = (uint16_t)i;
    printf("half formats, every input (ulps of the format to the correctly rounded exact result):\n");
    for (int fm = 0; fm < 2; ++fm)
        for (int fi = 0; fi < NFUNCS; ++fi) {
            ck_eval_format fmt = (ck_eval_format)fm;
            ck_func f = funcs[fi];
            half_path paths[8];
            size_t np = half_paths(fmt, paths);
            for (int t = 0; t < NTIERS; ++t) {
                half_kernel(&paths[0], f, t)(x, scalar_y, HALF_COUNT);
                for (size_t p = 0; p < np; ++p)
                    half_certificate(fmt, f, t, &paths[p], x, scalar_y);
                /* the public entry points: each ISA, and the active one */
                for (size_t i = 0; i <= nisas; ++i) {
                    ck_isa isa = i < nisas ? isas[i] : CK_ISA_AUTO;
                    ck_status s = half_api(fmt, f, x, y, HALF_COUNT, tiers[t], isa);
                    check(s == CK_OK && memcmp(y, scalar_y, HALF_COUNT * sizeof *y) == 0,
                          "ck_%s_%s_isa %s %s: status %d or bits differ from scalar", func_names[fi], format_names[fm],
                          tier_names[t], ck_isa_name(isa), s);
                }
                printf("digest %s %s %s %016" PRIx64 "\n", format_names[fm], func_names[fi], tier_names[t],
                       digest16(scalar_y, HALF_COUNT));
            }
        }
    free(x), free(scalar_y), free(y);
}

/* One way to run a half kernel: the path's kernel itself, or (api) the public entry point on the
 * path's ISA, which looks the kernel's results up in its table. */
typedef struct {
    ck_eval_format fmt;
    ck_func f;
    int t;
    const half_path *path;
    int api;
} half_runner;

static void half_run(const half_runner *r, const uint16_t *x, uint16_t *y, size_t n)
{
    if (!r->api)
        half_kernel(r->path, r->f, r->t)(x, y, n);
    else
        check(half_api(r->fmt, r->f, x, y, n, tiers[r->t], r->path->isa) == CK_OK, "%s entry point on %s: status",
              format_names[r->fmt], r->path->name);
}

/* Lengths 0..64 at offsets 0..3, in place, and buffers ending at an unmapped page, on every path and
 * through the entry points. */
static void test_half_tails(void)
{
    uint16_t data[MAXN], expect[MAXN], xbuf[MAXN + PAD], ybuf[MAXN + PAD];
    signal(SIGSEGV, on_segv);
    void *xmap, *ymap;
    size_t xlen, ylen;
    /* MAXN floats end at the page: the last MAXN halves of them do too */
    uint16_t *gx = (uint16_t *)(guarded(MAXN, &xmap, &xlen) + MAXN) - MAXN;
    uint16_t *gy = (uint16_t *)(guarded(MAXN, &ymap, &ylen) + MAXN) - MAXN;
    char label[96];
    for (int fm = 0; fm < 2; ++fm) {
        ck_eval_format fmt = (ck_eval_format)fm;
        for (size_t i = 0; i < MAXN; ++i) /* [-20, 20] from the float generator, then as bits */
            data[i] = fmt == CK_EVAL_BF16 ? (uint16_t)(bits(uniform(-20.0f, 20.0f)) >> 16)
                                      : (uint16_t)(rng_state >> 48 & 0x7fffu) % 0x4d00u | (i & 1 ? 0x8000u : 0);
        data[5] = (uint16_t)(half_inf(fmt) | 1u); /* a signalling NaN */
        data[17] = half_inf(fmt);
        data[30] = 0x8000u;
        half_path paths[8];
        size_t np = half_paths(fmt, paths);
        for (size_t p = 0; p < 2 * np; ++p)
            for (int fi = 0; fi < NFUNCS; ++fi)
                for (int t = 0; t < NTIERS; ++t) {
                    const half_runner run = { fmt, funcs[fi], t, &paths[p % np], p >= np };
                    const char *fn = func_names[fi], *tier = tier_names[t];
                    char where[40];
                    snprintf(where, sizeof where, "%s%s", run.api ? "entry point, " : "", run.path->name);
                    for (size_t k = 0; k < MAXN; ++k)
                        half_kernel(&paths[0], funcs[fi], t)(data + k, expect + k, 1);
                    size_t bad_values = 0, bad_writes = 0, bad_inplace = 0;
                    for (size_t off = 0; off < 4; ++off)
                        for (size_t n = 0; n <= MAXN - off; ++n) {
                            for (size_t k = 0; k < MAXN + PAD; ++k)
                                ybuf[k] = 0xbeefu;
                            memcpy(xbuf + off, data, n * sizeof *data);
                            half_run(&run, xbuf + off, ybuf + off, n);
                            for (size_t k = 0; k < MAXN + PAD; ++k) {
                                int inside = k >= off && k < off + n;
                                bad_values += inside && ybuf[k] != expect[k - off];
                                bad_writes += !inside && ybuf[k] != 0xbeefu;
                            }
                            half_run(&run, xbuf + off, xbuf + off, n);
                            bad_inplace += memcmp(xbuf + off, expect, n * sizeof *data) != 0;
                        }
                    check(bad_values == 0 && bad_writes == 0 && bad_inplace == 0,
                          "%s %s %s %s: %zu wrong results, %zu writes outside [y, y+n), %zu in-place calls differ "
                          "(lengths 0..64, offsets 0..3)",
                          format_names[fm], fn, tier, where, bad_values, bad_writes, bad_inplace);
                    /* odd byte addresses: the API takes any (ckernels.h), out of place and in place */
                    size_t bad_odd = 0;
                    char xodd[2 * MAXN + 1], yodd[2 * MAXN + 1];
                    for (size_t n = 1; n <= MAXN; ++n) {
                        uint16_t *xo = (uint16_t *)(void *)(xodd + 1), *yo = (uint16_t *)(void *)(yodd + 1);
                        memcpy(xodd + 1, data, n * sizeof *data);
                        half_run(&run, xo, yo, n);
                        bad_odd += memcmp(yodd + 1, expect, n * sizeof *data) != 0;
                        half_run(&run, xo, xo, n);
                        bad_odd += memcmp(xodd + 1, expect, n * sizeof *data) != 0;
                    }
                    check(bad_odd == 0, "%s %s %s %s: %zu calls at an odd byte address differ from the aligned call",
                          format_names[fm], fn, tier, where, bad_odd);
                    for (size_t n = 1; n <= MAXN; ++n) {
                        snprintf(label, sizeof label, "%.4s %.7s %.11s %.37s n=%zu", format_names[fm], fn, tier, where, n);
                        guard_case = label;
                        memcpy(gx + MAXN - n, data, n * sizeof *data);
                        half_run(&run, gx + MAXN - n, gy + MAXN - n, n);
                        check(memcmp(gy + MAXN - n, expect, n * sizeof *data) == 0, "%s: wrong results at a page end",
                              label);
                    }
                }
    }
    guard_case = "";
    munmap(xmap, xlen);
    munmap(ymap, ylen);
    signal(SIGSEGV, SIG_DFL);
}

/* Threads racing to make the same table (test_half_tables): each looks all inputs up under FTZ/DAZ. */
typedef struct {
    const uint16_t *x;
    uint16_t *y;
    ck_status status;
} half_racer;

static void *half_race(void *arg)
{
    half_racer *r = arg;
    ck_eval_set_ftz_daz(3);
    r->status = ck_sigmoid_bf16_isa(r->x, r->y, HALF_COUNT, CK_PRECISE, ck_best_isa());
    return NULL;
}

/* The entry points' tables, built by the first calls, here with FTZ/DAZ on and every flag clear
 * (and one by racing threads): the tables hold the kernels' results in the default environment (so
 * FTZ/DAZ change nothing through the entry points), and building them, though NaN inputs raise
 * INVALID, leaves the caller's flags and setting as they were. Runs before any other half-format call. */
static void test_half_tables(void)
{
    uint16_t *x = xmalloc(HALF_COUNT * sizeof *x), *y0 = xmalloc(HALF_COUNT * sizeof *x), *y1 = xmalloc(HALF_COUNT * sizeof *x);
    for (uint32_t i = 0; i < HALF_COUNT; ++i)
        x[i] = (uint16_t)i;
    unsigned saved = ck_eval_get_ftz_daz();
    /* first, four threads at once on one table: one builds it, the others free their copies */
    enum { RACERS = 4 };
    half_racer racers[RACERS];
    pthread_t th[RACERS];
    int started[RACERS];
    for (int k = 0; k < RACERS; ++k) {
        racers[k] = (half_racer){ x, xmalloc(HALF_COUNT * sizeof *x), CK_ERR_UNSUPPORTED };
        started[k] = pthread_create(&th[k], NULL, half_race, &racers[k]) == 0;
    }
    ck_bf16_kernels(ck_best_isa())->sigmoid[CK_PRECISE](x, y0, HALF_COUNT);
    for (int k = 0; k < RACERS; ++k) {
        if (started[k])
            pthread_join(th[k], NULL);
        check(racers[k].status == CK_OK && memcmp(racers[k].y, y0, HALF_COUNT * sizeof *y0) == 0,
              "racing first calls of ck_sigmoid_bf16_isa precise: thread %d not started, or status %d or other bits", k,
              racers[k].status);
        free(racers[k].y);
    }
    for (int fm = 0; fm < 2; ++fm)
        for (size_t i = 0; i < nisas; ++i)
            for (int fi = 0; fi < NFUNCS; ++fi)
                for (int t = 0; t < NTIERS; ++t) {
                    ck_eval_format fmt = (ck_eval_format)fm;
                    ck_eval_set_ftz_daz(3);
                    unsigned on = ck_eval_get_ftz_daz();
                    feclearexcept(FE_ALL_EXCEPT);
                    ck_status s = half_api(fmt, funcs[fi], x, y1, HALF_COUNT, tiers[t], isas[i]);
                    int flags = fetestexcept(FE_ALL_EXCEPT), kept = ck_eval_get_ftz_daz() == on;
                    ck_eval_set_ftz_daz(0);
                    const ck_kernel_table *table;
                    ck_table(isas[i], &table);
                    const ck_half_kernels *k = fmt == CK_EVAL_BF16 ? ck_bf16_kernels(isas[i]) : &table->f16;
                    (funcs[fi] == CK_FUNC_SIGMOID ? k->sigmoid : k->tanh)[t](x, y0, HALF_COUNT);
                    check(s == CK_OK && flags == 0 && kept && memcmp(y0, y1, HALF_COUNT * sizeof *y0) == 0,
                          "ck_%s_%s_isa %s %s, first calls under FTZ/DAZ: status %d, flags %#x, setting %s, results %s "
                          "the kernel's",
                          func_names[fi], format_names[fm], tier_names[t], ck_isa_name(isas[i]), s, flags,
                          kept ? "kept" : "changed", memcmp(y0, y1, HALF_COUNT * sizeof *y0) ? "differ from" : "are");
                }
    ck_eval_set_ftz_daz(saved);
    feclearexcept(FE_ALL_EXCEPT);
    free(x), free(y0), free(y1);
}

/* FTZ/DAZ change nothing but results that are subnormal in the format or come from subnormal
 * inputs (bf16 only: binary16's subnormals are normal floats), and the kernels leave the setting. */
static void test_half_ftz_daz(void)
{
    uint16_t *x = xmalloc(HALF_COUNT * sizeof *x), *y0 = xmalloc(HALF_COUNT * sizeof *x), *y1 = xmalloc(HALF_COUNT * sizeof *x);
    for (uint32_t i = 0; i < HALF_COUNT; ++i)
        x[i] = (uint16_t)i;
    unsigned saved = ck_eval_get_ftz_daz();
    for (int fm = 0; fm < 2; ++fm) {
        ck_eval_format fmt = (ck_eval_format)fm;
        half_path paths[8];
        size_t np = half_paths(fmt, paths);
        for (size_t p = 0; p < np; ++p)
            for (int fi = 0; fi < NFUNCS; ++fi)
                for (int t = 0; t < NTIERS; ++t) {
                    ck_half_fn kernel = half_kernel(&paths[p], funcs[fi], t);
                    ck_eval_set_ftz_daz(0);
                    kernel(x, y0, HALF_COUNT);
                    ck_eval_set_ftz_daz(3);
                    unsigned on = ck_eval_get_ftz_daz();
                    kernel(x, y1, HALF_COUNT);
                    int kept = ck_eval_get_ftz_daz() == on;
                    ck_eval_set_ftz_daz(0);
                    size_t bad = 0;
                    for (uint32_t i = 0; i < HALF_COUNT; ++i) {
                        int subnormal = fmt == CK_EVAL_BF16 && ((x[i] & 0x7f80u) == 0 || (y0[i] & 0x7f80u) == 0);
                        bad += !subnormal && y0[i] != y1[i];
                    }
                    check(kept && bad == 0, "%s %s %s %s: FTZ/DAZ changed %zu results, or the kernel changed the setting",
                          format_names[fm], func_names[fi], tier_names[t], paths[p].name, bad);
                }
    }
    ck_eval_set_ftz_daz(saved);
    free(x), free(y0), free(y1);
}

static void test_half_status_codes(void)
{
    uint16_t x[16] = { 0 }, y[16];
    for (int fm = 0; fm < 2; ++fm)
        for (int fi = 0; fi < NFUNCS; ++fi) {
            ck_eval_format fmt = (ck_eval_format)fm;
            ck_func f = funcs[fi];
            const char *name = format_names[fm], *fn = func_names[fi];
            check(half_api(fmt, f, NULL, NULL, 0, CK_FAST, CK_ISA_AUTO) == CK_OK, "%s %s: n = 0 with NULL", name, fn);
            check(half_api(fmt, f, NULL, y, 4, CK_FAST, CK_ISA_AUTO) == CK_ERR_NULL_POINTER, "%s %s: x NULL", name, fn);
            check(half_api(fmt, f, x, NULL, 4, CK_FAST, CK_ISA_AUTO) == CK_ERR_NULL_POINTER, "%s %s: y NULL", name, fn);
            check(half_api(fmt, f, x, x + 1, 8, CK_FAST, CK_ISA_AUTO) == CK_ERR_OVERLAP, "%s %s: y = x + 1", name, fn);
            check(half_api(fmt, f, x, y, 4, (ck_tier)3, CK_ISA_AUTO) == CK_ERR_INVALID_ARGUMENT, "%s %s: tier 3", name, fn);
            check(half_api(fmt, f, x, y, SIZE_MAX / 2, CK_FAST, CK_ISA_AUTO) == CK_ERR_INVALID_ARGUMENT,
                  "%s %s: byte size overflows", name, fn);
            check(half_api(fmt, f, x, y, 4, CK_FAST, (ck_isa)42) == CK_ERR_INVALID_ARGUMENT &&
                      half_api(fmt, f, x, y, 4, CK_FAST, (ck_isa)-1) == CK_ERR_INVALID_ARGUMENT,
                  "%s %s: ISA 42 and -1 are invalid", name, fn);
            for (ck_isa absent = CK_ISA_SCALAR; absent <= CK_ISA_NEON; ++absent)
                if (!ck_isa_supported(absent))
                    check(half_api(fmt, f, x, y, 4, CK_FAST, absent) == CK_ERR_UNSUPPORTED, "%s %s: %s without it",
                          name, fn, ck_isa_name(absent));
            check(half_api(fmt, f, x, x, 16, CK_FAST, CK_ISA_AUTO) == CK_OK, "%s %s: in place", name, fn);
        }
    check(ck_check_unary_half(x, x + 2, 4, CK_FAST) == CK_ERR_OVERLAP && ck_check_unary_half(x, x + 4, 4, CK_FAST) == CK_OK,
          "ck_check_unary_half: overlap by halves, not floats");

    const size_t n = 3 * CK_OMP_GRAIN + 123;
    uint16_t *hx = xmalloc(n * sizeof *hx), *y0 = xmalloc(n * sizeof *hx), *y1 = xmalloc(n * sizeof *hx);
    for (size_t i = 0; i < n; ++i)
        hx[i] = (uint16_t)(i * 40503u);
    static const ck_unary_half fns[] = { ck_sigmoid_bf16, ck_tanh_bf16, ck_sigmoid_f16, ck_tanh_f16 };
    for (size_t k = 0; k < 4; ++k) {
        fns[k](hx, y0, n, CK_FAST);
        for (int threads = 0; threads <= 4; ++threads) {
            ck_status s = ck_unary_half_omp(fns[k], hx, y1, n, CK_FAST, threads);
            check(s == CK_OK && memcmp(y0, y1, n * sizeof *y0) == 0, "ck_unary_half_omp #%zu, %d threads: status %d or bits differ",
                  k, threads, s);
        }
    }
    check(ck_unary_half_omp(ck_tanh_f16, hx, hx + 1, n - 1, CK_FAST, 2) == CK_ERR_OVERLAP, "ck_unary_half_omp: overlap");
    free(hx), free(y0), free(y1);
}

/* ---- gate updates ---------------------------------------------------------------------------
 *
 * Each kernel output is checked three ways: bitwise against the float formula the header documents
 * (the workspace's gates are the unary kernels' outputs for the float preactivations, c is
 * clip(fma(f, c_prev, i g)), h = o tanh(c)); within a tolerance against a double-precision
 * reference; and bitwise across ISAs. Tolerances, with A the tier's activation error (2 or 4 ulp of
 * 1, i.e. A = 2^-23 or 2^-22, or 2e-4 absolute) and u = 2^-24 one float rounding:
 *   LSTM c: A (|c_prev| + 2) + 4u (|c_prev| + 1)    h: 2A + |c| error + 4u
 *   GRU  h: A (2 + |hn| + |h_prev|) + 4u (1 + |xn + r hn| + |h_prev|)
 *   backward (double reference from the saved float activations): 16u per unit of the operands'
 *   magnitude, summed over the batch for db. */

/* every gate output of every case, per kernel and tier, for the cross-machine comparison */
static uint64_t lstm_digest[NTIERS] = { DIGEST_SEED, DIGEST_SEED, DIGEST_SEED };
static uint64_t gru_digest[NTIERS] = { DIGEST_SEED, DIGEST_SEED, DIGEST_SEED };

static double sigmoid_d(double x) { return 1.0 / (1.0 + exp(-x)); }

static double activation_error(ck_tier tier)
{
    return tier == CK_PRECISE ? 0x1p-23 : tier == CK_FAST ? 0x1p-22 : 2e-4;
}

static void fill(float *p, size_t n, float lo, float hi)
{
    for (size_t k = 0; k < n; ++k)
        p[k] = uniform(lo, hi);
}

/* |got - want| <= tol, counting the worst case for the report */
typedef struct { size_t bad; double worst; size_t at; } tally;
static void near(tally *t, double got, double want, double tol, size_t at)
{
    double e = fabs(got - want);
    if (!(e <= tol)) {
        if (t->bad++ == 0 || e > t->worst) {
            t->worst = e;
            t->at = at;
        }
    }
}
static void bitwise(tally *t, float got, float want, size_t at)
{
    if (!same(got, want) && t->bad++ == 0)
        t->at = at;
}

typedef struct { size_t B, H; } shape;
static const shape gate_shapes[] = { { 1, 1 }, { 3, 5 }, { 9, 16 }, { 2, 37 }, { 17, 19 }, { 2, 300 } };

static void test_lstm(void)
{
    for (size_t si = 0; si < sizeof gate_shapes / sizeof gate_shapes[0]; ++si)
        for (unsigned variant = 0; variant < 16; ++variant)
            for (int t = 0; t < NTIERS; ++t) {
                const size_t B = gate_shapes[si].B, H = gate_shapes[si].H;
                ck_lstm_desc d = { .batch = B, .hidden = H, .z_stride = variant & 1 ? 4 * H + 3 : 0,
                                   .order = variant & 2 ? CK_GATES_ICFO : CK_GATES_IFGO,
                                   .forget_bias = variant & 4 ? 1.0f : 0.0f,
                                   .cell_clip = variant & 8 ? 0.75f : 0.0f, .tier = tiers[t] };
                const int use_bias = (variant ^ si) & 1;
                const size_t zs = d.z_stride ? d.z_stride : 4 * H, G = 4 * H, W = ck_lstm_workspace_floats(&d);
                const size_t fi = d.order == CK_GATES_ICFO ? 2 * H : H, gi = d.order == CK_GATES_ICFO ? H : 2 * H;
                const size_t oi = 3 * H, goff[4] = { 0, fi, gi, oi };
                float *z = xmalloc(B * zs * sizeof(float)), *bias = xmalloc(G * sizeof(float));
                float *cp = xmalloc(B * H * sizeof(float)), *dh = xmalloc(B * H * sizeof(float));
                float *dcn = xmalloc(B * H * sizeof(float)), *pre = xmalloc(B * G * sizeof(float));
                float *act = xmalloc(B * G * sizeof(float)), *tc = xmalloc(B * H * sizeof(float));
                float *out[4][6]; /* per ISA: c, h, ws, dz, dc_prev, db */
                const size_t sizes[6] = { B * H, B * H, W, B * G, B * H, G };
                fill(z, B * zs, -6.0f, 6.0f);
                z[0] = 30.0f; /* saturated gates */
                if (B * H > 1)
                    z[zs * (B - 1) + 1] = -30.0f;
                fill(bias, G, -0.5f, 0.5f);
                fill(cp, B * H, -2.0f, 2.0f);
                fill(dh, B * H, -1.0f, 1.0f);
                fill(dcn, B * H, -1.0f, 1.0f);
                char label[96];
                snprintf(label, sizeof label, "LSTM B=%zu H=%zu %s stride=%zu bias=%d fb=%g clip=%g %s", B, H,
                         d.order == CK_GATES_ICFO ? "icfo" : "ifgo", zs, use_bias, (double)d.forget_bias,
                         (double)d.cell_clip, tier_names[t]);
                for (size_t i = 0; i < nisas; ++i) {
                    for (int k = 0; k < 6; ++k)
                        out[i][k] = xmalloc(sizes[k] * sizeof(float));
                    for (size_t k = 0; k < G; ++k)
                        out[i][5][k] = 0.25f; /* db accumulates */
                    ck_status s1 = ck_lstm_forward_rows(&d, 0, B, isas[i], z, use_bias ? bias : NULL, cp, out[i][0],
                                                        out[i][1], out[i][2]);
                    ck_status s2 = ck_lstm_backward_rows(&d, 0, B, isas[i], dh, variant & 4 ? dcn : NULL, out[i][2],
                                                         cp, out[i][3], out[i][4], out[i][5]);
                    check(s1 == CK_OK && s2 == CK_OK, "%s %s: status %d %d", ck_isa_name(isas[i]), label, s1, s2);
                }
                /* the documented float formula, from the scalar ISA's unary kernels */
                for (size_t r = 0; r < B; ++r)
                    for (size_t q = 0; q < 4; ++q)
                        for (size_t j = 0; j < H; ++j) {
                            float v = z[r * zs + goff[q] + j];
                            if (use_bias)
                                v = v + bias[goff[q] + j];
                            if (q == 1)
                                v = v + d.forget_bias;
                            pre[r * G + goff[q] + j] = v;
                        }
                for (size_t r = 0; r < B; ++r)
                    for (size_t q = 0; q < 4; ++q)
                        run(q == 2 ? CK_FUNC_TANH : CK_FUNC_SIGMOID, pre + r * G + goff[q], act + r * G + goff[q], H,
                            tiers[t], CK_ISA_SCALAR);
                float clip = d.cell_clip > 0.0f ? d.cell_clip : INFINITY;
                tally formula = { 0 }, fwd = { 0 }, bwd = { 0 }, cross = { 0 };
                const double A = activation_error(tiers[t]), u = 0x1p-24;
                double *db_ref = xcalloc_doubles(G), *db_mag = xcalloc_doubles(G);
                for (size_t r = 0; r < B; ++r)
                    for (size_t j = 0; j < H; ++j) {
                        const size_t at = r * H + j;
                        const float *a = act + r * G;
                        float fi_ = a[fi + j], ii = a[j], gg = a[gi + j], oo = a[oi + j];
                        float cu = fmaf(fi_, cp[at], ii * gg), cc = fminf(fmaxf(cu, -clip), clip);
                        run(CK_FUNC_TANH, &cc, &tc[at], 1, tiers[t], CK_ISA_SCALAR);
                        const float *ws = out[0][2];
                        for (size_t q = 0; q < 4; ++q)
                            bitwise(&formula, ws[r * G + goff[q] + j], a[goff[q] + j], at);
                        bitwise(&formula, out[0][0][at], cc, at);
                        bitwise(&formula, ws[B * G + at], tc[at], at);
                        bitwise(&formula, out[0][1][at], oo * tc[at], at);
                        /* double reference forward */
                        const float *p = pre + r * G;
                        double di = sigmoid_d(p[j]), df = sigmoid_d(p[fi + j]), dg = tanh(p[gi + j]);
                        double dout = sigmoid_d(p[oi + j]), dc = df * cp[at] + di * dg;
                        dc = dc > clip ? clip : dc < -clip ? -clip : dc;
                        double tol_c = A * (fabs(cp[at]) + 2) + 4 * u * (fabs(cp[at]) + 1);
                        near(&fwd, out[0][0][at], dc, tol_c, at);
                        near(&fwd, out[0][1][at], dout * tanh(dc), 2 * A + tol_c + 4 * u, at);
                        /* double reference backward from the saved float activations */
                        double dhv = dh[at], dcv = variant & 4 ? dcn[at] : 0.0, t2 = tc[at];
                        double g_c = dhv * oo * (1 - t2 * t2) + dcv;
                        if (fabs(cu) > clip)
                            g_c = 0;
                        double dz4[4] = { g_c * gg * ii * (1 - ii), g_c * cp[at] * fi_ * (1 - fi_),
                                          g_c * ii * (1 - (double)gg * gg), dhv * t2 * oo * (1 - oo) };
                        double mag = (fabs(dhv) + fabs(dcv) + 1) * (fabs(cp[at]) + 1);
                        for (size_t q = 0; q < 4; ++q) {
                            near(&bwd, out[0][3][r * G + goff[q] + j], dz4[q], 16 * u * mag, at);
                            db_ref[goff[q] + j] += dz4[q];
                            db_mag[goff[q] + j] += mag;
                        }
                        near(&bwd, out[0][4][at], g_c * fi_, 16 * u * mag, at);
                    }
                for (size_t k = 0; k < G; ++k)
                    near(&bwd, out[0][5][k], 0.25 + db_ref[k], 16 * u * (db_mag[k] + 1), k);
                for (size_t i = 1; i < nisas; ++i)
                    for (int k = 0; k < 6; ++k)
                        for (size_t e = 0; e < sizes[k]; ++e)
                            bitwise(&cross, out[i][k][e], out[0][k][e], e);
                for (int k = 0; k < 6; ++k)
                    lstm_digest[t] = digest(lstm_digest[t], out[0][k], sizes[k]);
                check(formula.bad == 0, "%s: %zu results differ from the documented float formula, first at %zu",
                      label, formula.bad, formula.at);
                check(fwd.bad == 0, "%s: forward off the double reference at %zu places, worst %.3g at %zu", label,
                      fwd.bad, fwd.worst, fwd.at);
                check(bwd.bad == 0, "%s: backward off the double reference at %zu places, worst %.3g at %zu", label,
                      bwd.bad, bwd.worst, bwd.at);
                check(cross.bad == 0, "%s: %zu outputs differ between ISAs", label, cross.bad);
                /* the public entry points on the active ISA, and a row split, give the same bits */
                float *c2 = xmalloc(B * H * sizeof(float)), *h2 = xmalloc(B * H * sizeof(float));
                float *w2 = xmalloc(W * sizeof(float));
                const size_t split = B / 2;
                ck_status s = ck_lstm_forward(&d, z, use_bias ? bias : NULL, cp, c2, h2, NULL);
                tally api = { 0 };
                for (size_t e = 0; e < B * H; ++e) {
                    bitwise(&api, c2[e], out[0][0][e], e);
                    bitwise(&api, h2[e], out[0][1][e], e);
                }
                ck_status s3 = ck_lstm_forward_rows(&d, 0, split, CK_ISA_AUTO, z, use_bias ? bias : NULL, cp, c2, h2, w2);
                ck_status s4 = ck_lstm_forward_rows(&d, split, B, CK_ISA_AUTO, z, use_bias ? bias : NULL, cp, c2, h2, w2);
                for (size_t e = 0; e < W; ++e)
                    bitwise(&api, w2[e], out[0][2][e], e);
                check(s == CK_OK && s3 == CK_OK && s4 == CK_OK && api.bad == 0,
                      "%s: ck_lstm_forward (inference) or a row split differs at %zu places", label, api.bad);
                free(c2);
                free(h2);
                free(w2);
                for (size_t i = 0; i < nisas; ++i)
                    for (int k = 0; k < 6; ++k)
                        free(out[i][k]);
                free(z), free(bias), free(cp), free(dh), free(dcn), free(pre), free(act), free(tc);
                free(db_ref), free(db_mag);
            }
}

static void test_gru(void)
{
    for (size_t si = 0; si < sizeof gate_shapes / sizeof gate_shapes[0]; ++si)
        for (int t = 0; t < NTIERS; ++t) {
            const size_t B = gate_shapes[si].B, H = gate_shapes[si].H, G = 3 * H;
            ck_gru_desc d = { .batch = B, .hidden = H, .tier = tiers[t] };
            const size_t W = ck_gru_workspace_floats(&d);
            float *x = xmalloc(B * G * sizeof(float)), *hg = xmalloc(B * G * sizeof(float));
            float *hp = xmalloc(B * H * sizeof(float)), *dh = xmalloc(B * H * sizeof(float));
            float *act = xmalloc(B * 2 * H * sizeof(float)), *pre = xmalloc(B * 2 * H * sizeof(float));
            float *out[4][5]; /* per ISA: h, ws, dx, dhg, dh_prev */
            const size_t sizes[5] = { B * H, W, B * G, B * G, B * H };
            fill(x, B * G, -4.0f, 4.0f);
            fill(hg, B * G, -3.0f, 3.0f);
            x[0] = 40.0f;
            fill(hp, B * H, -1.0f, 1.0f);
            fill(dh, B * H, -1.0f, 1.0f);
            char label[96];
            snprintf(label, sizeof label, "GRU B=%zu H=%zu %s", B, H, tier_names[t]);
            for (size_t i = 0; i < nisas; ++i) {
                for (int k = 0; k < 5; ++k)
                    out[i][k] = xmalloc(sizes[k] * sizeof(float));
                ck_status s1 = ck_gru_forward_rows(&d, 0, B, isas[i], x, hg, hp, out[i][0], out[i][1]);
                ck_status s2 = ck_gru_backward_rows(&d, 0, B, isas[i], dh, out[i][1], hp, out[i][2], out[i][3],
                                                    out[i][4]);
                check(s1 == CK_OK && s2 == CK_OK, "%s %s: status %d %d", ck_isa_name(isas[i]), label, s1, s2);
            }
            for (size_t r = 0; r < B; ++r)
                for (size_t j = 0; j < 2 * H; ++j)
                    pre[r * 2 * H + j] = x[r * G + j] + hg[r * G + j];
            run(CK_FUNC_SIGMOID, pre, act, B * 2 * H, tiers[t], CK_ISA_SCALAR);
            tally formula = { 0 }, fwd = { 0 }, bwd = { 0 }, cross = { 0 };
            const double A = activation_error(tiers[t]), u = 0x1p-24;
            const float *ws = out[0][1];
            for (size_t r = 0; r < B; ++r)
                for (size_t j = 0; j < H; ++j) {
                    const size_t at = r * H + j;
                    float rr = act[r * 2 * H + j], zz = act[r * 2 * H + H + j], hn = hg[r * G + 2 * H + j];
                    float pn = fmaf(rr, hn, x[r * G + 2 * H + j]), nn;
                    run(CK_FUNC_TANH, &pn, &nn, 1, tiers[t], CK_ISA_SCALAR);
                    bitwise(&formula, ws[r * G + j], rr, at);
                    bitwise(&formula, ws[r * G + H + j], zz, at);
                    bitwise(&formula, ws[r * G + 2 * H + j], nn, at);
                    bitwise(&formula, ws[B * G + at], hn, at);
                    bitwise(&formula, out[0][0][at], fmaf(zz, hp[at], fmaf(-zz, nn, nn)), at);
                    double dr = sigmoid_d(pre[r * 2 * H + j]), dz = sigmoid_d(pre[r * 2 * H + H + j]);
                    double dpn = x[r * G + 2 * H + j] + dr * hn, dn = tanh(dpn);
                    near(&fwd, out[0][0][at], (1 - dz) * dn + dz * hp[at],
                         A * (2 + fabs(hn) + fabs(hp[at])) + 4 * u * (1 + fabs(dpn) + fabs(hp[at])), at);
                    double g = dh[at], dan = g * (1 - zz) * (1 - (double)nn * nn);
                    double daz = g * (hp[at] - (double)nn) * zz * (1 - zz), dar = dan * hn * rr * (1 - rr);
                    double tol = 16 * u * (fabs(g) + 1) * (fabs(hp[at]) + fabs(hn) + 2);
                    near(&bwd, out[0][2][r * G + j], dar, tol, at);
                    near(&bwd, out[0][2][r * G + H + j], daz, tol, at);
                    near(&bwd, out[0][2][r * G + 2 * H + j], dan, tol, at);
                    near(&bwd, out[0][3][r * G + j], dar, tol, at);
                    near(&bwd, out[0][3][r * G + H + j], daz, tol, at);
                    near(&bwd, out[0][3][r * G + 2 * H + j], dan * rr, tol, at);
                    near(&bwd, out[0][4][at], g * zz, tol, at);
                }
            for (size_t i = 1; i < nisas; ++i)
                for (int k = 0; k < 5; ++k)
                    for (size_t e = 0; e < sizes[k]; ++e)
                        bitwise(&cross, out[i][k][e], out[0][k][e], e);
            for (int k = 0; k < 5; ++k)
                gru_digest[t] = digest(gru_digest[t], out[0][k], sizes[k]);
            check(formula.bad == 0, "%s: %zu results differ from the documented float formula, first at %zu", label,
                  formula.bad, formula.at);
            check(fwd.bad == 0, "%s: forward off the double reference at %zu places, worst %.3g at %zu", label,
                  fwd.bad, fwd.worst, fwd.at);
            check(bwd.bad == 0, "%s: backward off the double reference at %zu places, worst %.3g at %zu", label,
                  bwd.bad, bwd.worst, bwd.at);
            check(cross.bad == 0, "%s: %zu outputs differ between ISAs", label, cross.bad);
            for (size_t i = 0; i < nisas; ++i)
                for (int k = 0; k < 5; ++k)
                    free(out[i][k]);
            free(x), free(hg), free(hp), free(dh), free(act), free(pre);
        }
}

static void test_gate_status_codes(void)
{
    enum { B = 2, H = 4 };
    float z[B * 4 * H] = { 0 }, cp[B * H] = { 0 }, c[B * H], h[B * H], ws[5 * B * H];
    ck_lstm_desc ok = { .batch = B, .hidden = H, .tier = CK_FAST }, d;
    check(ck_lstm_forward(&ok, z, NULL, cp, c, h, ws) == CK_OK, "LSTM: a valid call");
    check(ck_lstm_forward(NULL, z, NULL, cp, c, h, ws) == CK_ERR_NULL_POINTER, "LSTM: NULL descriptor");
    check(ck_lstm_forward(&ok, NULL, NULL, cp, c, h, ws) == CK_ERR_NULL_POINTER, "LSTM: NULL z");
    d = ok, d.hidden = 0;
    check(ck_lstm_forward(&d, z, NULL, cp, c, h, ws) == CK_ERR_INVALID_ARGUMENT, "LSTM: hidden 0");
    d = ok, d.z_stride = 4 * H - 1;
    check(ck_lstm_forward(&d, z, NULL, cp, c, h, ws) == CK_ERR_INVALID_ARGUMENT, "LSTM: z_stride < 4H");
    d = ok, d.cell_clip = -1.0f;
    check(ck_lstm_forward(&d, z, NULL, cp, c, h, ws) == CK_ERR_INVALID_ARGUMENT, "LSTM: negative clip");
    d = ok, d.cell_clip = NAN;
    check(ck_lstm_forward(&d, z, NULL, cp, c, h, ws) == CK_ERR_INVALID_ARGUMENT, "LSTM: NaN clip");
    d = ok, d.order = (ck_gate_order)2;
    check(ck_lstm_forward(&d, z, NULL, cp, c, h, ws) == CK_ERR_INVALID_ARGUMENT, "LSTM: gate order 2");
    d = ok, d.tier = (ck_tier)3;
    check(ck_lstm_forward(&d, z, NULL, cp, c, h, ws) == CK_ERR_INVALID_ARGUMENT, "LSTM: tier 3");
    check(ck_lstm_forward(&ok, z, NULL, cp, c, c + 1, ws) == CK_ERR_OVERLAP, "LSTM: h overlaps c");
    check(ck_lstm_forward(&ok, z, NULL, cp, cp, h, ws) == CK_OK, "LSTM: c == c_prev is allowed");
    check(ck_lstm_forward(&ok, ws, NULL, cp, c, h, ws) == CK_OK, "LSTM: workspace == z is allowed (dense Z)");
    d = ok, d.z_stride = 4 * H + 1;
    check(ck_lstm_forward(&d, ws, NULL, cp, c, h, ws) == CK_ERR_OVERLAP, "LSTM: workspace == z, strided Z");
    check(ck_lstm_forward_rows(&ok, 1, 3, CK_ISA_SCALAR, z, NULL, cp, c, h, ws) == CK_ERR_INVALID_ARGUMENT,
          "LSTM: rows beyond the batch");
    for (ck_isa a = CK_ISA_SCALAR; a <= CK_ISA_NEON; ++a)
        if (!ck_isa_supported(a))
            check(ck_lstm_forward_rows(&ok, 0, B, a, z, NULL, cp, c, h, ws) == CK_ERR_UNSUPPORTED,
                  "LSTM: %s on a CPU without it", ck_isa_name(a));
    ck_gru_desc g = { .batch = B, .hidden = H, .tier = CK_FAST }, g0 = g;
    float x[B * 3 * H] = { 0 }, hg[B * 3 * H] = { 0 }, hp[B * H] = { 0 }, gws[4 * B * H];
    float dz[B * 4 * H], dcp[B * H], dx[B * 3 * H], dhg[B * 3 * H], dhp[B * H];
    /* ISA arguments: the rule of ck_set_isa in all four _rows functions */
    for (int v = -1; v <= 42; v += 43) {
        const ck_isa a = (ck_isa)v;
        ck_status s[4] = { ck_lstm_forward_rows(&ok, 0, B, a, z, NULL, cp, c, h, ws),
                           ck_lstm_backward_rows(&ok, 0, B, a, h, NULL, ws, cp, dz, dcp, NULL),
                           ck_gru_forward_rows(&g, 0, B, a, x, hg, hp, h, gws),
                           ck_gru_backward_rows(&g, 0, B, a, h, gws, hp, dx, dhg, dhp) };
        check(s[0] == CK_ERR_INVALID_ARGUMENT && s[1] == CK_ERR_INVALID_ARGUMENT && s[2] == CK_ERR_INVALID_ARGUMENT &&
                  s[3] == CK_ERR_INVALID_ARGUMENT,
              "gates, ISA %d: statuses %d %d %d %d, expected CK_ERR_INVALID_ARGUMENT", v, s[0], s[1], s[2], s[3]);
    }
    for (ck_isa absent = CK_ISA_SCALAR; absent <= CK_ISA_NEON; ++absent)
        if (!ck_isa_supported(absent))
            check(ck_gru_forward_rows(&g, 0, B, absent, x, hg, hp, h, gws) == CK_ERR_UNSUPPORTED &&
                      ck_gru_backward_rows(&g, 0, B, absent, h, gws, hp, dx, dhg, dhp) == CK_ERR_UNSUPPORTED &&
                      ck_lstm_backward_rows(&ok, 0, B, absent, h, NULL, ws, cp, dz, dcp, NULL) == CK_ERR_UNSUPPORTED,
                  "gates: %s on a CPU without it", ck_isa_name(absent));
    check(ck_gru_forward(&g, x, hg, hp, h, gws) == CK_OK, "GRU: a valid call");
    check(ck_gru_forward(&g, x, NULL, hp, h, gws) == CK_ERR_NULL_POINTER, "GRU: NULL hg");
    g0.batch = 0;
    check(ck_gru_forward(&g0, x, hg, hp, h, gws) == CK_ERR_INVALID_ARGUMENT, "GRU: batch 0");
    check(ck_gru_forward(&g, x, hg, hp, x + 1, gws) == CK_ERR_OVERLAP, "GRU: h overlaps x");
}

/* ---- gate updates with half-format tensors ---------------------------------------------------
 *
 * A half-format call must be the float call on its inputs widened to float, each half-format output
 * rounded to nearest even (here by half_round, independently of the library's conversions), its
 * float outputs (c, the workspace, dc_prev, db) the float call's bit for bit. test_lstm and
 * test_gru hold the float call to the documented formula, so this is that formula on the converted
 * inputs, rounded once. Then bitwise across ISAs, row splits and OpenMP teams, and against the
 * double reference of the unrounded inputs, with tolerances derived from the format's rounding:
 * with uf its unit roundoff (2^-8 bf16, 2^-11 binary16) a rounding moves v by at most
 * uf |v| + ef (ef = 2^-25, half binary16's smallest subnormal; 0 for bf16, whose range is float's).
 * So an input v is off by dv = uf |v| + ef; sigma is 1/4-Lipschitz and tanh 1-Lipschitz, the
 * gates are in [-1, 1], clipping is 1-Lipschitz; on top of test_lstm's and test_gru's float bounds:
 *   LSTM  gates di, df, do = dz/4, dg = dz;  c: + df |c_prev| + di + dg;  h: + do + (c's) + uf |h| + ef
 *   GRU   dr = (dx_r + dhg_r)/4, dz likewise, dn = dx_n + dr |hn| + dhg_n;
 *         h: + dz (1 + |h_prev|) + dn + dh_prev + uf |h| + ef
 *   backward: each output is linear in dh with factors bounded by the magnitude the float bound
 *         uses (LSTM (|c_prev| + 1), GRU (|h_prev| + |hn| + 2), which also covers h_prev's own
 *         rounding times |dh|), plus uf |result| + ef for the rounding of dz, dx, dhg, dh_prev. */

static const ck_eval_format half_formats[] = { CK_EVAL_BF16, CK_EVAL_F16 };
static const ck_half_format half_api_formats[] = { CK_BF16, CK_F16 };
static uint64_t half_lstm_digest[2][NTIERS], half_gru_digest[2][NTIERS];

static uint16_t to_half(ck_eval_format f, double v)
{
    unsigned near_tie = 0;
    return ck_half_round(f, v, &near_tie);
}
/* every float of p rounded to the format, in h, and the rounded values widened back into p */
static void round_to_half(ck_eval_format f, float *p, uint16_t *h, size_t n)
{
    for (size_t k = 0; k < n; ++k) {
        h[k] = to_half(f, p[k]);
        p[k] = (float)ck_half_value(f, h[k]);
    }
}
/* a rounding's bound, uf |v| + ef */
static double half_rounding(ck_eval_format f, double v)
{
    return f == CK_EVAL_BF16 ? 0x1p-8 * fabs(v) : 0x1p-11 * fabs(v) + 0x1p-25;
}
/* got[k] must be want[k] rounded to the format (NaN: any NaN) */
static void rounded(tally *t, ck_eval_format f, const uint16_t *got, const float *want, size_t n)
{
    for (size_t k = 0; k < n; ++k) {
        uint16_t w = to_half(f, want[k]);
        if (got[k] != w && !(ck_half_is_nan(f, got[k]) && ck_half_is_nan(f, w)) && t->bad++ == 0)
            t->at = k;
    }
}
/* a[k] must be b[k] bit for bit, or both NaN in format f (as `same`: which NaN a gate propagates is
 * the compiler's choice of operand order) */
static void same16(tally *t, ck_eval_format f, const uint16_t *a, const uint16_t *b, size_t n)
{
    for (size_t k = 0; k < n; ++k)
        if (a[k] != b[k] && !(ck_half_is_nan(f, a[k]) && ck_half_is_nan(f, b[k])) && t->bad++ == 0)
            t->at = k;
}
static void same32(tally *t, const float *a, const float *b, size_t n)
{
    for (size_t k = 0; k < n; ++k)
        bitwise(t, a[k], b[k], k);
}
static uint64_t digest_half(uint64_t h, const uint16_t *y, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        for (int b = 0; b < 2; ++b) {
            h ^= (y[i] >> (8 * b)) & 0xffu;
            h *= 0x100000001b3ull;
        }
    return h;
}

/* the shapes of test_lstm, and one whose batch an OpenMP team splits */
static const shape half_gate_shapes[] = { { 1, 1 }, { 3, 5 }, { 9, 16 }, { 2, 37 }, { 17, 19 }, { 2, 300 }, { 40, 520 } };
#define HALF_SHAPES (sizeof half_gate_shapes / sizeof half_gate_shapes[0])

/* LSTM outputs of one half-format call: c, h, workspace, dz, dc_prev, db */
typedef struct { float *c, *ws, *dcp, *db; uint16_t *h, *dz; } half_lstm_out;

static half_lstm_out half_lstm_alloc(size_t B, size_t H)
{
    half_lstm_out o = { xmalloc(B * H * sizeof(float)), xmalloc(5 * B * H * sizeof(float)),
                        xmalloc(B * H * sizeof(float)), xmalloc(4 * H * sizeof(float)),
                        xmalloc(B * H * sizeof(uint16_t)), xmalloc(4 * B * H * sizeof(uint16_t)) };
    for (size_t k = 0; k < 4 * H; ++k)
        o.db[k] = 0.25f; /* db accumulates */
    return o;
}
static void half_lstm_free(half_lstm_out o) { free(o.c), free(o.ws), free(o.dcp), free(o.db), free(o.h), free(o.dz); }
static void half_lstm_same(tally *t, ck_eval_format f, const half_lstm_out *a, const half_lstm_out *b, size_t B, size_t H)
{
    same32(t, a->c, b->c, B * H), same32(t, a->ws, b->ws, 5 * B * H), same32(t, a->dcp, b->dcp, B * H);
    same32(t, a->db, b->db, 4 * H), same16(t, f, a->h, b->h, B * H), same16(t, f, a->dz, b->dz, 4 * B * H);
}

static void test_half_lstm(void)
{
    for (int fi = 0; fi < 2; ++fi)
        for (size_t si = 0; si < HALF_SHAPES; ++si)
            for (unsigned variant = 0; variant < 16; variant += si + 1 == HALF_SHAPES ? 5 : 1)
                for (int t = 0; t < NTIERS; ++t) {
                    const ck_eval_format hf = half_formats[fi];
                    const ck_half_format fmt = half_api_formats[fi];
                    const size_t B = half_gate_shapes[si].B, H = half_gate_shapes[si].H, G = 4 * H;
                    ck_lstm_desc d = { .batch = B, .hidden = H, .z_stride = variant & 1 ? 4 * H + 3 : 0,
                                       .order = variant & 2 ? CK_GATES_ICFO : CK_GATES_IFGO,
                                       .forget_bias = variant & 4 ? 1.0f : 0.0f,
                                       .cell_clip = variant & 8 ? 0.75f : 0.0f, .tier = tiers[t] };
                    const int use_bias = (variant ^ si) & 1;
                    const size_t zs = d.z_stride ? d.z_stride : G;
                    const size_t fo = d.order == CK_GATES_ICFO ? 2 * H : H, go = d.order == CK_GATES_ICFO ? H : 2 * H;
                    float *z0 = xmalloc(B * zs * sizeof(float)), *z = xmalloc(B * zs * sizeof(float));
                    float *bias = xmalloc(G * sizeof(float)), *cp = xmalloc(B * H * sizeof(float));
                    float *dh0 = xmalloc(B * H * sizeof(float)), *dh = xmalloc(B * H * sizeof(float));
                    float *dcn = xmalloc(B * H * sizeof(float));
                    uint16_t *zh = xmalloc(B * zs * sizeof(uint16_t)), *dhh = xmalloc(B * H * sizeof(uint16_t));
                    fill(z0, B * zs, -6.0f, 6.0f);
                    z0[0] = 30.0f;
                    fill(bias, G, -0.5f, 0.5f);
                    fill(cp, B * H, -2.0f, 2.0f);
                    fill(dh0, B * H, -1.0f, 1.0f);
                    fill(dcn, B * H, -1.0f, 1.0f);
                    memcpy(z, z0, B * zs * sizeof(float));
                    memcpy(dh, dh0, B * H * sizeof(float));
                    round_to_half(hf, z, zh, B * zs);
                    round_to_half(hf, dh, dhh, B * H);
                    const float *b = use_bias ? bias : NULL, *dc_next = variant & 4 ? dcn : NULL;
                    char label[128];
                    snprintf(label, sizeof label, "LSTM %s B=%zu H=%zu %s stride=%zu bias=%d fb=%g clip=%g %s",
                             format_names[fi], B, H, d.order == CK_GATES_ICFO ? "icfo" : "ifgo", zs, use_bias,
                             (double)d.forget_bias, (double)d.cell_clip, tier_names[t]);
                    /* the float call on the widened inputs (scalar ISA) */
                    float *c_f = xmalloc(B * H * sizeof(float)), *h_f = xmalloc(B * H * sizeof(float));
                    float *ws_f = xmalloc(5 * B * H * sizeof(float)), *dz_f = xmalloc(B * G * sizeof(float));
                    float *dcp_f = xmalloc(B * H * sizeof(float)), *db_f = xmalloc(G * sizeof(float));
                    for (size_t k = 0; k < G; ++k)
                        db_f[k] = 0.25f;
                    ck_status sf = ck_lstm_forward_rows(&d, 0, B, CK_ISA_SCALAR, z, b, cp, c_f, h_f, ws_f);
                    ck_status sb = ck_lstm_backward_rows(&d, 0, B, CK_ISA_SCALAR, dh, dc_next, ws_f, cp, dz_f, dcp_f, db_f);
                    half_lstm_out out[4];
                    tally formula = { 0 }, cross = { 0 }, split = { 0 }, fwd = { 0 }, bwd = { 0 };
                    for (size_t i = 0; i < nisas; ++i) {
                        half_lstm_out *o = &out[i];
                        *o = half_lstm_alloc(B, H);
                        ck_status s1 = ck_lstm_forward_half_rows(&d, fmt, 0, B, isas[i], zh, b, cp, o->c, o->h, o->ws);
                        ck_status s2 = ck_lstm_backward_half_rows(&d, fmt, 0, B, isas[i], dhh, dc_next, o->ws, cp, o->dz,
                                                                  o->dcp, o->db);
                        check(sf == CK_OK && sb == CK_OK && s1 == CK_OK && s2 == CK_OK, "%s %s: status %d %d %d %d",
                              ck_isa_name(isas[i]), label, sf, sb, s1, s2);
                        if (i)
                            half_lstm_same(&cross, hf, o, &out[0], B, H);
                    }
                    same32(&formula, out[0].c, c_f, B * H), same32(&formula, out[0].ws, ws_f, 5 * B * H);
                    same32(&formula, out[0].dcp, dcp_f, B * H), same32(&formula, out[0].db, db_f, G);
                    rounded(&formula, hf, out[0].h, h_f, B * H), rounded(&formula, hf, out[0].dz, dz_f, B * G);
                    /* a row split at a group boundary, the OpenMP drivers (1 to 3 threads), the whole-batch
                     * entry points: the same bits */
                    {
                        half_lstm_out o = half_lstm_alloc(B, H);
                        const size_t cut = B > CK_GATES_DB_ROWS ? CK_GATES_DB_ROWS : B;
                        float *partials = xmalloc(ck_lstm_db_partials_floats(&d) * sizeof(float));
                        ck_status s[6] = {
                            ck_lstm_forward_half_rows(&d, fmt, 0, cut, CK_ISA_AUTO, zh, b, cp, o.c, o.h, o.ws),
                            ck_lstm_forward_half_rows(&d, fmt, cut, B, CK_ISA_AUTO, zh, b, cp, o.c, o.h, o.ws),
                            ck_lstm_backward_half_groups(&d, fmt, 0, cut, CK_ISA_AUTO, dhh, dc_next, o.ws, cp, o.dz,
                                                         o.dcp, partials),
                            ck_lstm_backward_half_groups(&d, fmt, cut, B, CK_ISA_AUTO, dhh, dc_next, o.ws, cp, o.dz,
                                                         o.dcp, partials),
                            ck_lstm_add_db_partials(&d, partials, o.db), CK_OK };
                        half_lstm_same(&split, hf, &o, &out[0], B, H);
                        for (int threads = 1; threads <= 3; ++threads) {
                            half_lstm_out m = half_lstm_alloc(B, H);
                            ck_status s1 = ck_lstm_forward_half_omp(&d, fmt, zh, b, cp, m.c, m.h, m.ws, threads);
                            ck_status s2 = ck_lstm_backward_half_omp(&d, fmt, dhh, dc_next, m.ws, cp, m.dz, m.dcp, m.db,
                                                                     threads);
                            s[5] = s1 != CK_OK ? s1 : s2 != CK_OK ? s2 : s[5];
                            half_lstm_same(&split, hf, &m, &out[0], B, H);
                            half_lstm_free(m);
                        }
                        half_lstm_out w = half_lstm_alloc(B, H);
                        ck_status s7 = ck_lstm_forward_half(&d, fmt, zh, b, cp, w.c, w.h, w.ws);
                        ck_status s8 = ck_lstm_backward_half(&d, fmt, dhh, dc_next, w.ws, cp, w.dz, w.dcp, w.db);
                        half_lstm_same(&split, hf, &w, &out[0], B, H);
                        check(s[0] == CK_OK && s[1] == CK_OK && s[2] == CK_OK && s[3] == CK_OK && s[4] == CK_OK &&
                                  s[5] == CK_OK && s7 == CK_OK && s8 == CK_OK,
                              "%s: a row split, an OpenMP team or the whole-batch call failed", label);
                        half_lstm_free(o), half_lstm_free(w);
                        free(partials);
                    }
                    /* the double reference of the unrounded inputs */
                    const double A = activation_error(tiers[t]), u = 0x1p-24;
                    const double clip = d.cell_clip > 0.0f ? d.cell_clip : INFINITY;
                    double *db_ref = xcalloc_doubles(G), *db_tol = xcalloc_doubles(G);
                    for (size_t r = 0; r < B; ++r)
                        for (size_t j = 0; j < H; ++j) {
                            const size_t at = r * H + j, goff[4] = { 0, fo, go, 3 * H };
                            double p[4], dz4[4];
                            for (int q = 0; q < 4; ++q)
                                p[q] = (double)z0[r * zs + goff[q] + j] + (b ? b[goff[q] + j] : 0) +
                                       (q == 1 ? d.forget_bias : 0);
                            double di = sigmoid_d(p[0]), df = sigmoid_d(p[1]), dg = tanh(p[2]), dov = sigmoid_d(p[3]);
                            double e[4];
                            for (int q = 0; q < 4; ++q)
                                e[q] = half_rounding(hf, z0[r * zs + goff[q] + j]) * (q == 2 ? 1.0 : 0.25);
                            double dc = df * cp[at] + di * dg;
                            dc = dc > clip ? clip : dc < -clip ? -clip : dc;
                            double tol_c = A * (fabs(cp[at]) + 2) + 4 * u * (fabs(cp[at]) + 1);
                            double half_c = e[1] * fabs(cp[at]) + e[0] + e[2], href = dov * tanh(dc);
                            near(&fwd, out[0].c[at], dc, tol_c + half_c, at);
                            near(&fwd, ck_half_value(hf, out[0].h[at]), href,
                                 2 * A + tol_c + 4 * u + e[3] + half_c + half_rounding(hf, href), at);
                            /* backward from the saved float activations and the unrounded dh */
                            const float *a = out[0].ws + r * G;
                            double ii = a[j], ff = a[fo + j], gg = a[go + j], oo = a[3 * H + j];
                            double t2 = out[0].ws[B * G + at], dhv = dh0[at], dcv = dc_next ? dcn[at] : 0.0;
                            double g_c = dhv * oo * (1 - t2 * t2) + dcv;
                            if (fabs(fma(ff, cp[at], ii * gg)) > clip)
                                g_c = 0;
                            dz4[0] = g_c * gg * ii * (1 - ii), dz4[1] = g_c * cp[at] * ff * (1 - ff);
                            dz4[2] = g_c * ii * (1 - gg * gg), dz4[3] = dhv * t2 * oo * (1 - oo);
                            double mag = (fabs(dhv) + fabs(dcv) + 1) * (fabs(cp[at]) + 1);
                            double tol = 16 * u * mag + half_rounding(hf, dhv) * (fabs(cp[at]) + 1);
                            for (int q = 0; q < 4; ++q) {
                                near(&bwd, ck_half_value(hf, out[0].dz[r * G + goff[q] + j]), dz4[q],
                                     tol + half_rounding(hf, dz4[q]), at);
                                db_ref[goff[q] + j] += dz4[q];
                                db_tol[goff[q] + j] += tol;
                            }
                            near(&bwd, out[0].dcp[at], g_c * ff, tol, at);
                        }
                    for (size_t k = 0; k < G; ++k)
                        near(&bwd, out[0].db[k], 0.25 + db_ref[k], db_tol[k] + 16 * u, k);
                    half_lstm_digest[fi][t] = digest(half_lstm_digest[fi][t], out[0].c, B * H);
                    half_lstm_digest[fi][t] = digest_half(half_lstm_digest[fi][t], out[0].h, B * H);
                    half_lstm_digest[fi][t] = digest_half(half_lstm_digest[fi][t], out[0].dz, B * G);
                    half_lstm_digest[fi][t] = digest(half_lstm_digest[fi][t], out[0].db, G);
                    check(formula.bad == 0, "%s: %zu results differ from the float call on the widened inputs, "
                          "rounded, first at %zu", label, formula.bad, formula.at);
                    check(cross.bad == 0, "%s: %zu outputs differ between ISAs", label, cross.bad);
                    check(split.bad == 0, "%s: %zu outputs differ under a row split or an OpenMP team", label, split.bad);
                    check(fwd.bad == 0, "%s: forward off the double reference at %zu places, worst %.3g at %zu", label,
                          fwd.bad, fwd.worst, fwd.at);
                    check(bwd.bad == 0, "%s: backward off the double reference at %zu places, worst %.3g at %zu", label,
                          bwd.bad, bwd.worst, bwd.at);
                    for (size_t i = 0; i < nisas; ++i)
                        half_lstm_free(out[i]);
                    free(z0), free(z), free(bias), free(cp), free(dh0), free(dh), free(dcn), free(zh), free(dhh);
                    free(c_f), free(h_f), free(ws_f), free(dz_f), free(dcp_f), free(db_f), free(db_ref), free(db_tol);
                }
}

/* GRU outputs of one half-format call: h, workspace, dx, dhg, dh_prev */
typedef struct { float *ws; uint16_t *h, *dx, *dhg, *dhp; } half_gru_out;

static half_gru_out half_gru_alloc(size_t B, size_t H)
{
    return (half_gru_out){ xmalloc(4 * B * H * sizeof(float)), xmalloc(B * H * sizeof(uint16_t)),
                           xmalloc(3 * B * H * sizeof(uint16_t)), xmalloc(3 * B * H * sizeof(uint16_t)),
                           xmalloc(B * H * sizeof(uint16_t)) };
}
static void half_gru_free(half_gru_out o) { free(o.ws), free(o.h), free(o.dx), free(o.dhg), free(o.dhp); }
static void half_gru_same(tally *t, ck_eval_format f, const half_gru_out *a, const half_gru_out *b, size_t B, size_t H)
{
    same32(t, a->ws, b->ws, 4 * B * H), same16(t, f, a->h, b->h, B * H), same16(t, f, a->dx, b->dx, 3 * B * H);
    same16(t, f, a->dhg, b->dhg, 3 * B * H), same16(t, f, a->dhp, b->dhp, B * H);
}

static void test_half_gru(void)
{
    for (int fi = 0; fi < 2; ++fi)
        for (size_t si = 0; si < HALF_SHAPES; ++si)
            for (int t = 0; t < NTIERS; ++t) {
                const ck_eval_format hf = half_formats[fi];
                const ck_half_format fmt = half_api_formats[fi];
                const size_t B = half_gate_shapes[si].B, H = half_gate_shapes[si].H, G = 3 * H;
                ck_gru_desc d = { .batch = B, .hidden = H, .tier = tiers[t] };
                float *x0 = xmalloc(B * G * sizeof(float)), *hg0 = xmalloc(B * G * sizeof(float));
                float *hp0 = xmalloc(B * H * sizeof(float)), *dh0 = xmalloc(B * H * sizeof(float));
                float *in[4] = { xmalloc(B * G * sizeof(float)), xmalloc(B * G * sizeof(float)),
                                 xmalloc(B * H * sizeof(float)), xmalloc(B * H * sizeof(float)) };
                uint16_t *inh[4] = { xmalloc(B * G * 2), xmalloc(B * G * 2), xmalloc(B * H * 2), xmalloc(B * H * 2) };
                const float *orig[4] = { x0, hg0, hp0, dh0 };
                const size_t n_in[4] = { B * G, B * G, B * H, B * H };
                fill(x0, B * G, -4.0f, 4.0f);
                fill(hg0, B * G, -3.0f, 3.0f);
                x0[0] = 40.0f;
                fill(hp0, B * H, -1.0f, 1.0f);
                fill(dh0, B * H, -1.0f, 1.0f);
                for (int k = 0; k < 4; ++k) {
                    memcpy(in[k], orig[k], n_in[k] * sizeof(float));
                    round_to_half(hf, in[k], inh[k], n_in[k]);
                }
                char label[96];
                snprintf(label, sizeof label, "GRU %s B=%zu H=%zu %s", format_names[fi], B, H, tier_names[t]);
                /* the float call on the widened inputs (scalar ISA) */
                float *h_f = xmalloc(B * H * sizeof(float)), *ws_f = xmalloc(4 * B * H * sizeof(float));
                float *dx_f = xmalloc(B * G * sizeof(float)), *dhg_f = xmalloc(B * G * sizeof(float));
                float *dhp_f = xmalloc(B * H * sizeof(float));
                ck_status sf = ck_gru_forward_rows(&d, 0, B, CK_ISA_SCALAR, in[0], in[1], in[2], h_f, ws_f);
                ck_status sb = ck_gru_backward_rows(&d, 0, B, CK_ISA_SCALAR, in[3], ws_f, in[2], dx_f, dhg_f, dhp_f);
                half_gru_out out[4];
                tally formula = { 0 }, cross = { 0 }, split = { 0 }, fwd = { 0 }, bwd = { 0 };
                for (size_t i = 0; i < nisas; ++i) {
                    half_gru_out *o = &out[i];
                    *o = half_gru_alloc(B, H);
                    ck_status s1 = ck_gru_forward_half_rows(&d, fmt, 0, B, isas[i], inh[0], inh[1], inh[2], o->h, o->ws);
                    ck_status s2 = ck_gru_backward_half_rows(&d, fmt, 0, B, isas[i], inh[3], o->ws, inh[2], o->dx,
                                                             o->dhg, o->dhp);
                    check(sf == CK_OK && sb == CK_OK && s1 == CK_OK && s2 == CK_OK, "%s %s: status %d %d %d %d",
                          ck_isa_name(isas[i]), label, sf, sb, s1, s2);
                    if (i)
                        half_gru_same(&cross, hf, o, &out[0], B, H);
                }
                same32(&formula, out[0].ws, ws_f, 4 * B * H);
                rounded(&formula, hf, out[0].h, h_f, B * H), rounded(&formula, hf, out[0].dx, dx_f, B * G);
                rounded(&formula, hf, out[0].dhg, dhg_f, B * G), rounded(&formula, hf, out[0].dhp, dhp_f, B * H);
                /* a row split, OpenMP teams, the whole-batch calls, and in place (h == h_prev,
                 * dh_prev == dh): the same bits */
                {
                    ck_status s = CK_OK;
                    const size_t cut = B / 2;
                    half_gru_out o = half_gru_alloc(B, H);
                    ck_status r[4] = {
                        ck_gru_forward_half_rows(&d, fmt, 0, cut, CK_ISA_AUTO, inh[0], inh[1], inh[2], o.h, o.ws),
                        ck_gru_forward_half_rows(&d, fmt, cut, B, CK_ISA_AUTO, inh[0], inh[1], inh[2], o.h, o.ws),
                        ck_gru_backward_half_rows(&d, fmt, 0, cut, CK_ISA_AUTO, inh[3], o.ws, inh[2], o.dx, o.dhg, o.dhp),
                        ck_gru_backward_half_rows(&d, fmt, cut, B, CK_ISA_AUTO, inh[3], o.ws, inh[2], o.dx, o.dhg, o.dhp) };
                    for (int k = 0; k < 4; ++k)
                        s = s != CK_OK ? s : r[k];
                    half_gru_same(&split, hf, &o, &out[0], B, H);
                    for (int threads = 1; threads <= 3; ++threads) {
                        half_gru_out m = half_gru_alloc(B, H);
                        ck_status s1 = ck_gru_forward_half_omp(&d, fmt, inh[0], inh[1], inh[2], m.h, m.ws, threads);
                        ck_status s2 = ck_gru_backward_half_omp(&d, fmt, inh[3], m.ws, inh[2], m.dx, m.dhg, m.dhp, threads);
                        s = s != CK_OK ? s : s1 != CK_OK ? s1 : s2;
                        half_gru_same(&split, hf, &m, &out[0], B, H);
                        half_gru_free(m);
                    }
                    half_gru_out w = half_gru_alloc(B, H);
                    memcpy(w.h, inh[2], B * H * 2), memcpy(w.dhp, inh[3], B * H * 2);
                    ck_status s1 = ck_gru_forward_half(&d, fmt, inh[0], inh[1], w.h, w.h, w.ws);
                    ck_status s2 = ck_gru_backward_half(&d, fmt, w.dhp, w.ws, inh[2], w.dx, w.dhg, w.dhp);
                    s = s != CK_OK ? s : s1 != CK_OK ? s1 : s2;
                    half_gru_same(&split, hf, &w, &out[0], B, H);
                    check(s == CK_OK, "%s: a row split, an OpenMP team or the whole-batch call: status %d", label, s);
                    half_gru_free(o), half_gru_free(w);
                }
                const double A = activation_error(tiers[t]), u = 0x1p-24;
                for (size_t r = 0; r < B; ++r)
                    for (size_t j = 0; j < H; ++j) {
                        const size_t at = r * H + j, xr = r * G + j;
                        double e[3][2]; /* r, z, n: rounding bounds of x's and hg's inputs */
                        for (int q = 0; q < 3; ++q)
                            e[q][0] = half_rounding(hf, x0[xr + q * H]), e[q][1] = half_rounding(hf, hg0[xr + q * H]);
                        double dr = sigmoid_d((double)x0[xr] + hg0[xr]), dz = sigmoid_d((double)x0[xr + H] + hg0[xr + H]);
                        double hn = hg0[xr + 2 * H], dpn = x0[xr + 2 * H] + dr * hn, dn = tanh(dpn);
                        double href = (1 - dz) * dn + dz * hp0[at];
                        double er = (e[0][0] + e[0][1]) / 4, ez = (e[1][0] + e[1][1]) / 4;
                        double en = e[2][0] + er * fabs(hn) + e[2][1];
                        double tol = A * (2 + fabs(hn) + fabs(hp0[at])) + 4 * u * (1 + fabs(dpn) + fabs(hp0[at])) +
                                     ez * (1 + fabs(hp0[at])) + en + half_rounding(hf, hp0[at]);
                        near(&fwd, ck_half_value(hf, out[0].h[at]), href, tol + half_rounding(hf, href), at);
                        /* backward from the saved float activations and the unrounded dh and h_prev */
                        const float *ws = out[0].ws;
                        double rr = ws[r * G + j], zz = ws[r * G + H + j], nn = ws[r * G + 2 * H + j];
                        double hns = ws[B * G + at], g = dh0[at], hp = hp0[at];
                        double dan = g * (1 - zz) * (1 - nn * nn), daz = g * (hp - nn) * zz * (1 - zz);
                        double dar = dan * hns * rr * (1 - rr);
                        double mag = fabs(hp) + fabs(hns) + 2;
                        double tb = 16 * u * (fabs(g) + 1) * mag + (half_rounding(hf, g) + fabs(g) * half_rounding(hf, hp)) * mag;
                        const double want[7] = { dar, daz, dan, dar, daz, dan * rr, g * zz };
                        const uint16_t got[7] = { out[0].dx[xr], out[0].dx[xr + H], out[0].dx[xr + 2 * H], out[0].dhg[xr],
                                                  out[0].dhg[xr + H], out[0].dhg[xr + 2 * H], out[0].dhp[at] };
                        for (int q = 0; q < 7; ++q)
                            near(&bwd, ck_half_value(hf, got[q]), want[q], tb + half_rounding(hf, want[q]), at);
                    }
                half_gru_digest[fi][t] = digest(half_gru_digest[fi][t], out[0].ws, 4 * B * H);
                half_gru_digest[fi][t] = digest_half(half_gru_digest[fi][t], out[0].h, B * H);
                half_gru_digest[fi][t] = digest_half(half_gru_digest[fi][t], out[0].dx, B * G);
                half_gru_digest[fi][t] = digest_half(half_gru_digest[fi][t], out[0].dhg, B * G);
                half_gru_digest[fi][t] = digest_half(half_gru_digest[fi][t], out[0].dhp, B * H);
                check(formula.bad == 0, "%s: %zu results differ from the float call on the widened inputs, rounded, "
                      "first at %zu", label, formula.bad, formula.at);
                check(cross.bad == 0, "%s: %zu outputs differ between ISAs", label, cross.bad);
                check(split.bad == 0, "%s: %zu outputs differ under a row split, an OpenMP team or in place", label,
                      split.bad);
                check(fwd.bad == 0, "%s: forward off the double reference at %zu places, worst %.3g at %zu", label,
                      fwd.bad, fwd.worst, fwd.at);
                check(bwd.bad == 0, "%s: backward off the double reference at %zu places, worst %.3g at %zu", label,
                      bwd.bad, bwd.worst, bwd.at);
                for (size_t i = 0; i < nisas; ++i)
                    half_gru_free(out[i]);
                for (int k = 0; k < 4; ++k)
                    free(in[k]), free(inh[k]);
                free(x0), free(hg0), free(hp0), free(dh0), free(h_f), free(ws_f), free(dx_f), free(dhg_f), free(dhp_f);
            }
}

/* ---- the bf16 gate forwards with the CPU's own narrowing ------------------------------------
 *
 * On AVX-512 CPUs with AVX512-BF16 and on AArch64 CPUs with FEAT_BF16 the entry points run
 * ck_bf16_gate_forwards_avx512_native / _neon_native, which must give the bits of the table's
 * integer-rounding kernels. First the two narrowings (x86: over every float; AArch64: under each
 * FPCR setting BFCVTN reads); then both kernel sets forced, every tier, training and inference,
 * with FTZ off and on, over shapes with tails and inputs with specials (NaN, infinities,
 * subnormals, huge values), a third of the rows made to produce subnormal h (the native
 * narrowing's fallback), whole and split at every row. */

#if CK_X86
/* How many of the 2^32 float bit patterns the two narrowings round differently; the first in *first. */
static CK_BF16_NATIVE_TARGET uint64_t narrowing_mismatches(uint32_t *first)
{
    const __m512i step = _mm512_set1_epi32(16);
    __m512i u = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    uint64_t bad = 0;
    for (uint64_t k = 0; k < (1ull << 32); k += 16, u = _mm512_add_epi32(u, step)) {
        const __m512 v = _mm512_castsi512_ps(u);
        const __mmask16 m = _mm256_cmpneq_epi16_mask(ck_round_bf16_native(v), ck_round_bf16(v));
        if (m && bad == 0)
            *first = (uint32_t)k + (uint32_t)__builtin_ctz(m);
        bad += (uint64_t)__builtin_popcount(m);
    }
    return bad;
}
static void test_bf16_native_narrowing(void)
{
    uint32_t first = 0;
    const uint64_t bad = narrowing_mismatches(&first);
    check(bad == 0, "vcvtneps2bf16 narrowing: %" PRIu64 " of 2^32 floats round unlike the integer rounding, first 0x%08x",
          bad, first);
}
#elif CK_ARM64
static uint64_t get_fpcr(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}
static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" : : "r"(v)); }
/* The floats the narrowings are compared on, the k-th of NARROWING_SAMPLE: first every float whose
 * low 16 bits are one of six (below, at and above the tie, from both neighbours of each bf16 value:
 * every case of the rounding, for every exponent, sign and NaN payload top), then every 4099th. */
static const uint16_t narrowing_lows[] = { 0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xffff };
#define NARROWING_LOWS (sizeof narrowing_lows / sizeof *narrowing_lows)
#define NARROWING_SAMPLE (65536 * NARROWING_LOWS + ((1ull << 32) + 4098) / 4099)
static uint32_t narrowing_input(uint64_t k)
{
    return k < 65536 * NARROWING_LOWS ? (uint32_t)(k / NARROWING_LOWS) << 16 | narrowing_lows[k % NARROWING_LOWS]
                                      : (uint32_t)((k - 65536 * NARROWING_LOWS) * 4099);
}
/* How many of the sample's floats the two narrowings round differently; the first in *first. */
static CK_BF16_NATIVE_TARGET uint64_t narrowing_mismatches(uint32_t *first)
{
    uint64_t bad = 0;
    for (uint64_t k = 0; k < NARROWING_SAMPLE; k += 4) {
        uint32_t u[4];
        for (int l = 0; l < 4; ++l)
            u[l] = narrowing_input(k + l < NARROWING_SAMPLE ? k + l : k);
        const vf v = vreinterpretq_f32_u32(vld1q_u32(u));
        uint16_t native[4], integer[4];
        vst1_u16(native, ck_round_bf16_native(v));
        vst1_u16(integer, ck_round_bf16(v));
        for (int l = 0; l < 4; ++l)
            if (native[l] != integer[l] && bad++ == 0)
                *first = u[l];
    }
    return bad;
}
/* Under each FPCR setting BFCVTN reads besides the rounding mode (FZ, DN, and FEAT_AFP's FIZ and
 * AH where the CPU keeps them), the native narrowing gives the integer rounding's bits and raises
 * no FE_OVERFLOW. */
static void test_bf16_native_narrowing(void)
{
    static const struct {
        const char *name;
        uint64_t bits;
    } modes[] = { { "default", 0 }, { "FZ", 1u << 24 }, { "DN", 1u << 25 }, { "FZ DN", 3u << 24 },
                  { "FIZ", 1u << 0 }, { "AH", 1u << 1 }, { "AH FIZ DN", (1u << 25) | 3u } };
    const uint64_t saved = get_fpcr(), cleared = saved & ~(uint64_t)((3u << 24) | 3u);
    for (size_t m = 0; m < sizeof modes / sizeof *modes; ++m) {
        set_fpcr(cleared | modes[m].bits);
        const int kept = (get_fpcr() & modes[m].bits) == modes[m].bits;
        uint32_t first = 0;
        feclearexcept(FE_ALL_EXCEPT);
        const uint64_t bad = kept ? narrowing_mismatches(&first) : 0;
        const int overflow = fetestexcept(FE_OVERFLOW) != 0;
        set_fpcr(saved);
        if (!kept) {
            printf("BFCVTN narrowing under FPCR %s: not on this CPU\n", modes[m].name);
            continue;
        }
        check(bad == 0 && !overflow, "BFCVTN narrowing under FPCR %s: %" PRIu64 " of %llu floats round unlike the integer "
              "rounding, first 0x%08x; FE_OVERFLOW %s", modes[m].name, bad, (unsigned long long)NARROWING_SAMPLE, first,
              overflow ? "raised" : "clear");
    }
    feclearexcept(FE_ALL_EXCEPT);
}
#endif

#ifdef NATIVE_BF16
/* bf16 inputs: uniform in [-6, 6), one in eight a special */
static void fill_bf16_specials(uint16_t *h, size_t n)
{
    static const uint16_t specials[] = { 0x7fc0, 0xffc1, 0x7f80, 0xff80, 0x0001, 0x8035, 0x007f, 0x0080,
                                         0x4f00, 0xcf00, 0x0000, 0x8000 };
    for (size_t k = 0; k < n; ++k) {
        const uint32_t r = random_bits();
        h[k] = r >> 29 == 0 ? specials[r % (sizeof specials / sizeof *specials)]
                            : (uint16_t)(bits(uniform(-6.0f, 6.0f)) >> 16);
    }
}
/* a subnormal float of either sign */
static float subnormal(void) { return from_bits((random_bits() & 0x807fffffu) | 1u); }
static size_t subnormal_bf16_count(const uint16_t *h, size_t n)
{
    size_t c = 0;
    for (size_t k = 0; k < n; ++k)
        c += (h[k] & 0x7f80u) == 0 && (h[k] & 0x7fu) != 0;
    return c;
}

static void test_bf16_native_gate_forwards(void)
{
    const ck_kernel_table *t;
    if (ck_table(NATIVE_BF16_ISA, &t) != CK_OK || ck_bf16_gate_forwards(t) == &t->bf16_gates.forward) {
        printf("bf16 gate forwards with " NATIVE_BF16 ": not on this CPU\n");
        return;
    }
    test_bf16_native_narrowing();

    const ck_half_gate_forwards *integer = &t->bf16_gates.forward, *native = ck_bf16_gate_forwards(t);
    static const shape shapes[] = { { 1, 1 }, { 3, 5 }, { 2, 37 }, { 5, 300 }, { 4, 520 } };
    size_t subnormal_h = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; ++si)
        for (int variant = 0; variant < 2; ++variant)
            for (int tr = 0; tr < 2; ++tr)
                for (int ti = 0; ti < NTIERS; ++ti) {
                    const size_t B = shapes[si].B, H = shapes[si].H, BH = B * H, zs = variant ? 4 * H + 3 : 4 * H;
                    const ck_lstm_desc d = { .batch = B, .hidden = H, .z_stride = variant ? zs : 0,
                                             .order = variant ? CK_GATES_ICFO : CK_GATES_IFGO,
                                             .forget_bias = variant ? 1.0f : 0.0f, .cell_clip = variant ? 0.75f : 0.0f,
                                             .tier = tiers[ti] };
                    const ck_gru_desc g = { .batch = B, .hidden = H, .tier = tiers[ti] };
                    uint16_t *z = xmalloc(B * zs * 2), *x = xmalloc(3 * BH * 2), *hg = xmalloc(3 * BH * 2),
                             *hp = xmalloc(BH * 2);
                    float *bias = xmalloc(4 * H * sizeof(float)), *cp = xmalloc(BH * sizeof(float));
                    fill_bf16_specials(z, B * zs), fill_bf16_specials(x, 3 * BH), fill_bf16_specials(hg, 3 * BH);
                    fill_bf16_specials(hp, BH);
                    fill(bias, 4 * H, -0.5f, 0.5f);
                    static const float cp_specials[] = { NAN, INFINITY, -INFINITY, 1e30f, -0.0f, 0x1p-140f };
                    for (size_t k = 0; k < BH; ++k) {
                        const uint32_t r = random_bits();
                        cp[k] = r >> 29 == 0 ? cp_specials[r % 6] : uniform(-2.0f, 2.0f);
                    }
                    /* rows 1, 4, ...: c = c_prev (f = o = 1, i g = 0 without a bias) and h = h_prev (z = 1,
                     * n = 0), subnormal */
                    const size_t fo = d.order == CK_GATES_ICFO ? 2 * H : H, go = d.order == CK_GATES_ICFO ? H : 2 * H;
                    for (size_t r = 1; r < B; r += 3)
                        for (size_t j = 0; j < H; ++j) {
                            uint16_t *zr = z + r * zs;
                            zr[j] = 0xc1f0, zr[fo + j] = 0x41f0, zr[go + j] = 0, zr[3 * H + j] = 0x41f0; /* -30, 30, 0, 30 */
                            cp[r * H + j] = subnormal();
                            x[r * 3 * H + H + j] = 0x41f0, hg[r * 3 * H + H + j] = 0;
                            x[r * 3 * H + 2 * H + j] = hg[r * 3 * H + 2 * H + j] = 0;
                            hp[r * H + j] = (uint16_t)(bits(subnormal()) >> 16) | 1u;
                        }
                    const float *b = variant ? NULL : bias;
                    /* [0]: integer, whole batch; [1]: native, whole batch; [2]: native, split at row `cut` */
                    float *c[3], *lws[3], *gws[3];
                    uint16_t *lh[3], *gh[3];
                    for (int k = 0; k < 3; ++k) {
                        c[k] = xmalloc(BH * sizeof(float)), lh[k] = xmalloc(BH * 2), gh[k] = xmalloc(BH * 2);
                        lws[k] = tr ? xmalloc(5 * BH * sizeof(float)) : NULL;
                        gws[k] = tr ? xmalloc(4 * BH * sizeof(float)) : NULL;
                    }
                    tally diff = { 0 };
                    const unsigned saved = ck_eval_get_ftz_daz();
                    for (unsigned ftz = 0; ftz <= 3; ftz += 3) {
                        ck_eval_set_ftz_daz(ftz);
                        integer->lstm[ti](&d, 0, B, z, b, cp, c[0], lh[0], lws[0]);
                        integer->gru[ti](&g, 0, B, x, hg, hp, gh[0], gws[0]);
                        native->lstm[ti](&d, 0, B, z, b, cp, c[1], lh[1], lws[1]);
                        native->gru[ti](&g, 0, B, x, hg, hp, gh[1], gws[1]);
                        for (size_t cut = 0; cut <= B; ++cut) {
                            native->lstm[ti](&d, 0, cut, z, b, cp, c[2], lh[2], lws[2]);
                            native->lstm[ti](&d, cut, B, z, b, cp, c[2], lh[2], lws[2]);
                            native->gru[ti](&g, 0, cut, x, hg, hp, gh[2], gws[2]);
                            native->gru[ti](&g, cut, B, x, hg, hp, gh[2], gws[2]);
                            for (int k = cut == 0 ? 1 : 2; k < 3; ++k) { /* the whole-batch call once */
                                same32(&diff, c[k], c[0], BH), same16(&diff, CK_EVAL_BF16, lh[k], lh[0], BH);
                                same16(&diff, CK_EVAL_BF16, gh[k], gh[0], BH);
                                if (tr)
                                    same32(&diff, lws[k], lws[0], 5 * BH), same32(&diff, gws[k], gws[0], 4 * BH);
                            }
                        }
                        if (ftz == 0)
                            subnormal_h += subnormal_bf16_count(lh[0], BH) + subnormal_bf16_count(gh[0], BH);
                    }
                    ck_eval_set_ftz_daz(saved);
                    check(diff.bad == 0, "bf16 gate forwards B=%zu H=%zu %s%s %s, FTZ/DAZ off and on: %zu outputs of "
                          NATIVE_BF16 " differ from the integer rounding's, first at %zu", B, H,
                          variant ? "icfo stride clip" : "ifgo bias", tr ? " training" : "", tier_names[ti], diff.bad,
                          diff.at);
                    for (int k = 0; k < 3; ++k)
                        free(c[k]), free(lh[k]), free(gh[k]), free(lws[k]), free(gws[k]);
                    free(z), free(x), free(hg), free(hp), free(bias), free(cp);
                }
    check(subnormal_h > 0, "bf16 gate forwards: no subnormal h, the native narrowing's fallback untested");
}
#endif

static void test_half_gate_status_codes(void)
{
    enum { B = 2, H = 4 };
    uint16_t z[B * 4 * H] = { 0 }, h[B * H], x[B * 3 * H] = { 0 }, hp[B * H] = { 0 }, dz[B * 4 * H], dx[B * 3 * H];
    uint16_t dhg[B * 3 * H], dhp[B * H];
    float cp[B * H] = { 0 }, c[B * H], ws[5 * B * H], dcp[B * H], gws[4 * B * H];
    ck_lstm_desc d = { .batch = B, .hidden = H, .tier = CK_FAST };
    ck_gru_desc g = { .batch = B, .hidden = H, .tier = CK_FAST };
    for (int fi = 0; fi < 2; ++fi) {
        const ck_half_format f = half_api_formats[fi];
        const char *n = format_names[fi];
        check(ck_lstm_forward_half(&d, f, z, NULL, cp, c, h, ws) == CK_OK, "LSTM %s: a valid call", n);
        check(ck_lstm_forward_half(&d, f, NULL, NULL, cp, c, h, ws) == CK_ERR_NULL_POINTER, "LSTM %s: NULL z", n);
        check(ck_lstm_forward_half(&d, f, z, NULL, cp, cp, h, ws) == CK_OK, "LSTM %s: c == c_prev", n);
        check(ck_lstm_forward_half(&d, f, z, NULL, cp, c, z + 1, ws) == CK_ERR_OVERLAP, "LSTM %s: h overlaps z", n);
        check(ck_lstm_forward_half(&d, f, (const uint16_t *)ws, NULL, cp, c, h, ws) == CK_ERR_OVERLAP,
              "LSTM %s: z in the workspace (formats differ)", n);
        check(ck_lstm_backward_half(&d, f, h, NULL, ws, cp, dz, dcp, NULL) == CK_OK, "LSTM %s: a valid backward", n);
        check(ck_lstm_backward_half(&d, f, dz, NULL, ws, cp, dz, dcp, NULL) == CK_ERR_OVERLAP,
              "LSTM %s: dz == dh", n);
        check(ck_lstm_backward_half(&d, f, h, NULL, ws, cp, (uint16_t *)ws, dcp, NULL) == CK_ERR_OVERLAP,
              "LSTM %s: dz == workspace (formats differ)", n);
        check(ck_lstm_backward_half_rows(&d, f, 0, 3, CK_ISA_AUTO, h, NULL, ws, cp, dz, dcp, NULL) ==
                  CK_ERR_INVALID_ARGUMENT, "LSTM %s: rows beyond the batch", n);
        check(ck_gru_forward_half(&g, f, x, x, hp, hp, gws) == CK_OK, "GRU %s: h == h_prev", n);
        check(ck_gru_forward_half(&g, f, x, x, hp, x + 1, gws) == CK_ERR_OVERLAP, "GRU %s: h overlaps x", n);
        check(ck_gru_backward_half(&g, f, hp, gws, hp, dx, dhg, dhp) == CK_OK, "GRU %s: a valid backward", n);
        check(ck_gru_backward_half(&g, f, hp, gws, hp, dx, dhg, hp) == CK_OK, "GRU %s: dh_prev == dh", n);
        check(ck_gru_backward_half(&g, f, hp, gws, hp, dx, dx, dhp) == CK_ERR_OVERLAP, "GRU %s: dhg == dx", n);
        for (ck_isa a = CK_ISA_SCALAR; a <= CK_ISA_NEON; ++a)
            if (!ck_isa_supported(a))
                check(ck_gru_forward_half_rows(&g, f, 0, B, a, x, x, hp, h, gws) == CK_ERR_UNSUPPORTED,
                      "GRU %s: %s on a CPU without it", n, ck_isa_name(a));
    }
    /* a format outside ck_half_format, float's 0 included, whatever the other arguments */
    for (int v = 0; v <= 3; v += 3) {
        const ck_half_format f = (ck_half_format)v;
        ck_status s[8] = { ck_lstm_forward_half(&d, f, z, NULL, cp, c, h, ws),
                           ck_lstm_backward_half(&d, f, h, NULL, ws, cp, dz, dcp, NULL),
                           ck_gru_forward_half(&g, f, x, x, hp, h, gws),
                           ck_gru_backward_half(&g, f, hp, gws, hp, dx, dhg, dhp),
                           ck_lstm_forward_half_omp(&d, f, z, NULL, cp, c, h, ws, 2),
                           ck_lstm_backward_half_omp(&d, f, h, NULL, ws, cp, dz, dcp, dcp, 2),
                           ck_gru_forward_half_omp(&g, f, x, x, hp, h, gws, 2),
                           ck_gru_backward_half_omp(&g, f, hp, gws, hp, dx, dhg, dhp, 2) };
        for (int k = 0; k < 8; ++k)
            check(s[k] == CK_ERR_INVALID_ARGUMENT, "half gates, format %d, call %d: status %d", v, k, s[k]);
    }
    check(ck_lstm_backward_half_groups(&d, CK_BF16, 0, B, CK_ISA_AUTO, h, NULL, ws, cp, dz, dcp, NULL) ==
              CK_ERR_NULL_POINTER, "ck_lstm_backward_half_groups: NULL partials");
    check(ck_lstm_forward_half(NULL, CK_BF16, z, NULL, cp, c, h, ws) == CK_ERR_NULL_POINTER, "LSTM: NULL descriptor");
}

/* ---- odd byte addresses ("any alignment"): every ISA, unary and gate kernels ----------------
 *
 * Each buffer is copied to `shift` bytes past a float boundary and the call repeated there; the
 * results must be the aligned call's bits. The test moves floats only with memcpy: under UBSan
 * (scripts/ci-sanitizers.sh) a kernel's own misaligned float access is reported. */

typedef struct { char *mem; float *p[12]; } odd_set;

static void odd_copy(odd_set *o, float *const *src, const size_t *sizes, size_t n, size_t shift)
{
    size_t total = 0;
    for (size_t k = 0; k < n; ++k)
        total += sizes[k] * sizeof(float) + 16;
    o->mem = xmalloc(total);
    char *at = o->mem;
    for (size_t k = 0; k < n; ++k) {
        o->p[k] = (float *)(at + shift);
        if (src[k])
            memcpy((void *)o->p[k], src[k], sizes[k] * sizeof(float)); /* void *: see vec_scalar.h */
        at += sizes[k] * sizeof(float) + 16;
    }
}

/* byte-equal to the aligned results */
static int odd_same(const odd_set *o, float *const *ref, const size_t *sizes, size_t first, size_t n)
{
    for (size_t k = first; k < n; ++k)
        if (memcmp((const void *)o->p[k], ref[k], sizes[k] * sizeof(float)) != 0)
            return 0;
    return 1;
}

static void test_odd_addresses(void)
{
    enum { N = 40, B = 3, H = 37 };
    float data[N], ref[N];
    fill(data, N, -20.0f, 20.0f);
    data[3] = NAN;
    /* LSTM: z (stride 4H + 1), bias, c_prev, dh, dc_next; c, h, ws, dz, dc_prev, db.
     * GRU: x, hg, h_prev, dh; h, ws, dx, dhg, dh_prev. Drawn once, before the loop over this
     * machine's ISAs, so that the later tests' inputs and digests do not depend on their number. */
    ck_lstm_desc d = { .batch = B, .hidden = H, .z_stride = 4 * H + 1, .cell_clip = 1.5f, .tier = CK_PRECISE };
    ck_gru_desc g = { .batch = B, .hidden = H, .tier = CK_FAST };
    const size_t ls[11] = { B * d.z_stride, 4 * H, B * H, B * H, B * H, B * H, B * H, ck_lstm_workspace_floats(&d),
                            B * 4 * H, B * H, 4 * H };
    const size_t gs[9] = { B * 3 * H, B * 3 * H, B * H, B * H, B * H, ck_gru_workspace_floats(&g),
                           B * 3 * H, B * 3 * H, B * H };
    float *lsrc[11], *gsrc[9], *l[11], *gb[9];
    for (size_t k = 0; k < 11; ++k) {
        lsrc[k] = xmalloc(ls[k] * sizeof(float)), l[k] = xmalloc(ls[k] * sizeof(float));
        fill(lsrc[k], ls[k], -3.0f, 3.0f); /* outputs too: db accumulates */
    }
    for (size_t k = 0; k < 9; ++k) {
        gsrc[k] = xmalloc(gs[k] * sizeof(float)), gb[k] = xmalloc(gs[k] * sizeof(float));
        fill(gsrc[k], gs[k], -3.0f, 3.0f);
    }
    for (size_t i = 0; i < nisas; ++i)
        for (size_t shift = 1; shift < 4; ++shift) {
            const char *isa = ck_isa_name(isas[i]);
            size_t bad = 0;
            for (int fi = 0; fi < NFUNCS; ++fi)
                for (int t = 0; t < NTIERS; ++t)
                    for (size_t n = 1; n <= N; ++n) {
                        run(funcs[fi], data, ref, n, tiers[t], isas[i]);
                        float *src[] = { data, NULL, data }, *want[] = { NULL, ref, ref };
                        const size_t sizes[] = { n, n, n };
                        odd_set o;
                        odd_copy(&o, src, sizes, 3, shift);
                        run(funcs[fi], o.p[0], o.p[1], n, tiers[t], isas[i]);
                        run(funcs[fi], o.p[2], o.p[2], n, tiers[t], isas[i]); /* in place */
                        bad += !odd_same(&o, want, sizes, 1, 3);
                        free(o.mem);
                    }
            check(bad == 0, "%s: %zu unary calls at byte offset %zu differ from the aligned call", isa, bad, shift);

            for (size_t k = 0; k < 11; ++k)
                memcpy(l[k], lsrc[k], ls[k] * sizeof(float));
            odd_set o;
            odd_copy(&o, l, ls, 11, shift);
            ck_status s[4] = {
                ck_lstm_forward_rows(&d, 0, B, isas[i], l[0], l[1], l[2], l[5], l[6], l[7]),
                ck_lstm_backward_rows(&d, 0, B, isas[i], l[3], l[4], l[7], l[2], l[8], l[9], l[10]),
                ck_lstm_forward_rows(&d, 0, B, isas[i], o.p[0], o.p[1], o.p[2], o.p[5], o.p[6], o.p[7]),
                ck_lstm_backward_rows(&d, 0, B, isas[i], o.p[3], o.p[4], o.p[7], o.p[2], o.p[8], o.p[9], o.p[10]),
            };
            check(s[0] == CK_OK && s[1] == CK_OK && s[2] == CK_OK && s[3] == CK_OK && odd_same(&o, l, ls, 5, 11),
                  "%s LSTM at byte offset %zu: status %d %d %d %d or results differ from the aligned call", isa,
                  shift, s[0], s[1], s[2], s[3]);
            /* the bias gradient of the threaded drivers: row-group partials added to db */
            size_t nparts = ck_lstm_db_partials_floats(&d);
            float *parts = xmalloc(nparts * sizeof(float));
            s[0] = ck_lstm_backward_groups(&d, 0, B, isas[i], l[3], l[4], l[7], l[2], l[8], l[9], parts);
            s[1] = ck_lstm_add_db_partials(&d, parts, l[10]);
            s[2] = ck_lstm_add_db_partials(&d, parts, o.p[10]);
            check(s[0] == CK_OK && s[1] == CK_OK && s[2] == CK_OK && odd_same(&o, l, ls, 10, 11),
                  "%s LSTM bias gradient partials added at byte offset %zu: status %d %d %d or db differs", isa,
                  shift, s[0], s[1], s[2]);
            free(parts);
            free(o.mem);

            for (size_t k = 0; k < 9; ++k)
                memcpy(gb[k], gsrc[k], gs[k] * sizeof(float));
            odd_copy(&o, gb, gs, 9, shift);
            s[0] = ck_gru_forward_rows(&g, 0, B, isas[i], gb[0], gb[1], gb[2], gb[4], gb[5]);
            s[1] = ck_gru_backward_rows(&g, 0, B, isas[i], gb[3], gb[5], gb[2], gb[6], gb[7], gb[8]);
            s[2] = ck_gru_forward_rows(&g, 0, B, isas[i], o.p[0], o.p[1], o.p[2], o.p[4], o.p[5]);
            s[3] = ck_gru_backward_rows(&g, 0, B, isas[i], o.p[3], o.p[5], o.p[2], o.p[6], o.p[7], o.p[8]);
            check(s[0] == CK_OK && s[1] == CK_OK && s[2] == CK_OK && s[3] == CK_OK && odd_same(&o, gb, gs, 4, 9),
                  "%s GRU at byte offset %zu: status %d %d %d %d or results differ from the aligned call", isa,
                  shift, s[0], s[1], s[2], s[3]);
            free(o.mem);
        }
    for (size_t k = 0; k < 11; ++k)
        free(lsrc[k]), free(l[k]);
    for (size_t k = 0; k < 9; ++k)
        free(gsrc[k]), free(gb[k]);
}

/* ---- floating-point exception flags (the promise in ckernels.h) ------------------------------
 * Every kernel of every ISA (float, bf16, f16; the gate updates) over inputs that could overflow,
 * divide by zero or form inf - inf inside: each length up to two vectors and a tail, so that every
 * special lands in a full vector and in each tail position. No INVALID, DIVBYZERO or OVERFLOW for a
 * non-NaN input, flags cleared before each call; then the same with those traps enabled (where the
 * CPU has traps): no SIGFPE. A NaN input may raise INVALID, but neither of the others. */

#define FLAG_MASK (FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW)
#define FLAG_LEN (2 * 16 + 3)
static const float flag_inputs[] = { 0.0f, -0.0f, 0x1p-149f, -0x1p-149f, 0x1p-126f, -0x1p-126f, 1.0f, -1.0f,
                                     11.0f, -11.0f, 19.0f, -19.0f, 87.0f, -87.0f, -87.5f, 89.0f, -89.0f, -104.0f,
                                     1e10f, -1e10f, 1e30f, -1e30f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY };
#define NFLAG_INPUTS (sizeof flag_inputs / sizeof *flag_inputs)
/* binary16 counterparts: ±0, ±smallest subnormal, ±smallest normal, ±1, ±11, ±20, ±100, ±65504, ±inf */
static const uint16_t flag_f16[] = { 0x0000, 0x8000, 0x0001, 0x8001, 0x0400, 0x8400, 0x3c00, 0xbc00, 0x4980,
                                     0xc980, 0x4d00, 0xcd00, 0x5640, 0xd640, 0x7bff, 0xfbff, 0x7c00, 0xfc00 };
#define NFLAG_F16 (sizeof flag_f16 / sizeof *flag_f16)

static sigjmp_buf fpe_jump;
static void on_sigfpe(int sig) { (void)sig; siglongjmp(fpe_jump, 1); }
static char flag_call[96]; /* the call running, for the message when it traps */

/* The flags in FLAG_MASK that `call` raised, from a clean state. */
#define FLAGS_OF(call) (feclearexcept(FE_ALL_EXCEPT), (void)(call), fetestexcept(FLAG_MASK))

/* Every kernel on every ISA over `value` repeated (or NaN when nan is set); the number of calls that
 * raised a flag in `forbidden`, the first described in *first. */
static size_t flag_calls(int nan, size_t value, int forbidden, char first[160])
{
    float x[FLAG_LEN], y[FLAG_LEN];
    uint16_t xb[FLAG_LEN], xh[FLAG_LEN], yh[FLAG_LEN];
    size_t bad = 0;
    for (size_t k = 0; k < FLAG_LEN; ++k) {
        x[k] = nan ? NAN : flag_inputs[value % NFLAG_INPUTS];
        xb[k] = (uint16_t)(bits(x[k]) >> 16);
        xh[k] = nan ? 0x7e00u : flag_f16[value % NFLAG_F16];
    }
#define FLAG_CHECK(call, ...)                                                                     \
    do {                                                                                          \
        snprintf(flag_call, sizeof flag_call, __VA_ARGS__);                                       \
        int raised = FLAGS_OF(call) & forbidden;                                                  \
        if (raised && bad++ == 0)                                                                 \
            snprintf(first, 160, "%s raised%s%s%s", flag_call, raised & FE_INVALID ? " INVALID" : "",  \
                     raised & FE_DIVBYZERO ? " DIVBYZERO" : "", raised & FE_OVERFLOW ? " OVERFLOW" : ""); \
    } while (0)
    for (size_t i = 0; i < nisas; ++i) {
        const char *isa = ck_isa_name(isas[i]);
        for (size_t n = 1; n <= FLAG_LEN; ++n)
            for (int fi = 0; fi < NFUNCS; ++fi)
                for (int t = 0; t < NTIERS; ++t) {
                    FLAG_CHECK(run(funcs[fi], x, y, n, tiers[t], isas[i]), "%s %s %s f32 n=%zu x=%a", isa,
                               func_names[fi], tier_names[t], n, (double)x[0]);
                    FLAG_CHECK(half_api(CK_EVAL_BF16, funcs[fi], xb, yh, n, tiers[t], isas[i]),
                               "%s %s %s bf16 n=%zu x=0x%04x", isa, func_names[fi], tier_names[t], n, xb[0]);
                    FLAG_CHECK(half_api(CK_EVAL_F16, funcs[fi], xh, yh, n, tiers[t], isas[i]),
                               "%s %s %s f16 n=%zu x=0x%04x", isa, func_names[fi], tier_names[t], n, xh[0]);
                }
        /* the gates on the same values as preactivations (H = FLAG_LEN: every tail), bounded state and
         * gradients: what the activations produce must raise nothing in the rest of the update */
        float c_prev[FLAG_LEN], c[FLAG_LEN], h[FLAG_LEN], ws[5 * FLAG_LEN], dz[4 * FLAG_LEN], dcp[FLAG_LEN],
            db[4 * FLAG_LEN] = { 0 }, z[4 * FLAG_LEN], hg[3 * FLAG_LEN] = { 0 }, dx[3 * FLAG_LEN], dhg[3 * FLAG_LEN];
        for (size_t k = 0; k < 4 * FLAG_LEN; ++k)
            z[k] = x[0];
        for (size_t k = 0; k < FLAG_LEN; ++k)
            c_prev[k] = 0.5f;
        for (int t = 0; t < NTIERS; ++t) {
            ck_lstm_desc d = { .batch = 1, .hidden = FLAG_LEN, .cell_clip = t == CK_FAST ? 3.0f : 0.0f, .tier = tiers[t] };
            ck_gru_desc g = { .batch = 1, .hidden = FLAG_LEN, .tier = tiers[t] };
            FLAG_CHECK(ck_lstm_forward_rows(&d, 0, 1, isas[i], z, NULL, c_prev, c, h, ws), "%s lstm forward %s x=%a",
                       isa, tier_names[t], (double)x[0]);
            FLAG_CHECK(ck_lstm_backward_rows(&d, 0, 1, isas[i], c_prev, c_prev, ws, c_prev, dz, dcp, db),
                       "%s lstm backward %s x=%a", isa, tier_names[t], (double)x[0]);
            FLAG_CHECK(ck_gru_forward_rows(&g, 0, 1, isas[i], z, hg, c_prev, h, ws), "%s gru forward %s x=%a", isa,
                       tier_names[t], (double)x[0]);
            FLAG_CHECK(ck_gru_backward_rows(&g, 0, 1, isas[i], c_prev, ws, c_prev, dx, dhg, dcp),
                       "%s gru backward %s x=%a", isa, tier_names[t], (double)x[0]);
            /* the same steps with half-format tensors (the gradients reaching h: 0.5) */
            for (size_t fi = 0; fi < 2; ++fi) {
                const ck_half_format fmt = half_api_formats[fi];
                uint16_t zh[4 * FLAG_LEN], hgh[3 * FLAG_LEN] = { 0 }, half_h[FLAG_LEN], hh[FLAG_LEN], dzh[4 * FLAG_LEN],
                    dxh[3 * FLAG_LEN], dhgh[3 * FLAG_LEN], dhph[FLAG_LEN];
                for (size_t k = 0; k < 4 * FLAG_LEN; ++k)
                    zh[k] = fmt == CK_BF16 ? xb[0] : xh[0];
                for (size_t k = 0; k < FLAG_LEN; ++k)
                    half_h[k] = fmt == CK_BF16 ? 0x3f00u : 0x3800u;
                const char *fname = format_names[fi];
                FLAG_CHECK(ck_lstm_forward_half_rows(&d, fmt, 0, 1, isas[i], zh, NULL, c_prev, c, hh, ws),
                           "%s lstm forward %s %s z=0x%04x", isa, fname, tier_names[t], zh[0]);
                FLAG_CHECK(ck_lstm_backward_half_rows(&d, fmt, 0, 1, isas[i], half_h, c_prev, ws, c_prev, dzh, dcp, db),
                           "%s lstm backward %s %s z=0x%04x", isa, fname, tier_names[t], zh[0]);
                FLAG_CHECK(ck_gru_forward_half_rows(&g, fmt, 0, 1, isas[i], zh, hgh, half_h, hh, ws),
                           "%s gru forward %s %s x=0x%04x", isa, fname, tier_names[t], zh[0]);
                FLAG_CHECK(ck_gru_backward_half_rows(&g, fmt, 0, 1, isas[i], half_h, ws, half_h, dxh, dhgh, dhph),
                           "%s gru backward %s %s x=0x%04x", isa, fname, tier_names[t], zh[0]);
            }
        }
    }
#undef FLAG_CHECK
    return bad;
}

static void test_fp_flags(void)
{
    char first[160] = "";
    size_t bad = 0;
    for (size_t v = 0; v < NFLAG_INPUTS || v < NFLAG_F16; ++v)
        bad += flag_calls(0, v, FLAG_MASK, first);
    check(bad == 0, "%zu kernel calls on non-NaN inputs raised a forbidden flag; first: %s", bad, first);
    bad = flag_calls(1, 0, FE_DIVBYZERO | FE_OVERFLOW, first);
    check(bad == 0, "%zu kernel calls on NaN raised DIVBYZERO or OVERFLOW; first: %s", bad, first);

#if defined(__GLIBC__)
    feclearexcept(FE_ALL_EXCEPT);
    if (feenableexcept(FLAG_MASK) == -1) {
        printf("floating-point traps: not available on this CPU, flags checked only\n");
        return;
    }
    struct sigaction on_fpe = { .sa_handler = on_sigfpe }, old;
    sigaction(SIGFPE, &on_fpe, &old);
    volatile size_t v = 0;
    if (sigsetjmp(fpe_jump, 1) == 0) {
        for (; v < NFLAG_INPUTS || v < NFLAG_F16; ++v)
            flag_calls(0, v, 0, first);
        check(1, "");
    } else {
        check(0, "SIGFPE with traps on INVALID, DIVBYZERO and OVERFLOW in: %s", flag_call);
    }
    fedisableexcept(FE_ALL_EXCEPT);
    feclearexcept(FE_ALL_EXCEPT);
    sigaction(SIGFPE, &old, NULL);
#endif
}

/* ---- OpenMP drivers (ckernels_omp.h): the serial results, bit for bit, for any team size ---- */

/* A caller's kernel for ck_unary_f32_omp: CK_ERR_UNSUPPORTED for a chunk holding element
 * failing_at[0] of failing_base, CK_ERR_NULL_POINTER for one holding failing_at[1]; else sigmoid. */
static const float *failing_base;
static size_t failing_at[2];
static atomic_int failing_calls;

static ck_status failing_kernel(const float *x, float *y, size_t n, ck_tier tier)
{
    atomic_fetch_add(&failing_calls, 1);
    size_t begin = (size_t)(x - failing_base);
    if (failing_at[1] - begin < n)
        return CK_ERR_NULL_POINTER;
    if (failing_at[0] - begin < n)
        return CK_ERR_UNSUPPORTED;
    return ck_sigmoid_f32(x, y, n, tier);
}

static void test_omp_drivers(void)
{
    const size_t n = 3 * CK_OMP_GRAIN + 123;
    float *x = xmalloc(n * sizeof(float)), *y0 = xmalloc(n * sizeof(float)), *y1 = xmalloc(n * sizeof(float));
    fill(x, n, -20.0f, 20.0f);
    for (int fi = 0; fi < NFUNCS; ++fi) {
        ck_func f = funcs[fi];
        (f == CK_FUNC_SIGMOID ? ck_sigmoid_f32 : ck_tanh_f32)(x, y0, n, CK_FAST);
        for (int threads = 0; threads <= 4; ++threads) {
            ck_status s = (f == CK_FUNC_SIGMOID ? ck_sigmoid_f32_omp : ck_tanh_f32_omp)(x, y1, n, CK_FAST, threads);
            check(s == CK_OK && memcmp(y0, y1, n * sizeof(float)) == 0, "%s_f32_omp, %d threads: status %d or bits differ",
                  func_names[fi], threads, s);
        }
    }
    check(ck_sigmoid_f32_omp(x, x + 1, n - 1, CK_FAST, 2) == CK_ERR_OVERLAP, "ck_sigmoid_f32_omp: partial overlap");
    check(ck_tanh_f32_omp(x, y1, n, CK_FAST, -1) == CK_ERR_INVALID_ARGUMENT, "ck_tanh_f32_omp: -1 threads");

    /* a caller's kernel: not called when the whole-buffer checks fail; when it fails, its own status
     * (the lowest-numbered failing chunk's) comes back, for any team size */
    failing_base = x;
    for (int threads = 1; threads <= 4; ++threads) {
        atomic_store(&failing_calls, 0);
        failing_at[0] = n - 1, failing_at[1] = SIZE_MAX;
        ck_status s1 = ck_unary_f32_omp(failing_kernel, x, y1, n, CK_FAST, threads);
        failing_at[1] = 0;
        ck_status s2 = ck_unary_f32_omp(failing_kernel, x, y1, n, CK_FAST, threads);
        check(s1 == CK_ERR_UNSUPPORTED && s2 == CK_ERR_NULL_POINTER,
              "ck_unary_f32_omp, %d threads: a failing kernel's status (%d, %d; expected %d, %d)", threads, s1, s2,
              CK_ERR_UNSUPPORTED, CK_ERR_NULL_POINTER);
        int calls = atomic_load(&failing_calls);
        ck_status s3 = ck_unary_f32_omp(failing_kernel, x, x + 1, n - 1, CK_FAST, threads);
        ck_status s4 = ck_unary_f32_omp(failing_kernel, x, y1, n, (ck_tier)7, threads);
        check(s3 == CK_ERR_OVERLAP && s4 == CK_ERR_INVALID_ARGUMENT && atomic_load(&failing_calls) == calls,
              "ck_unary_f32_omp, %d threads: rejected arguments (%d, %d) still ran the kernel", threads, s3, s4);
    }
    check(ck_unary_f32_omp(NULL, x, y1, n, CK_FAST, 2) == CK_ERR_NULL_POINTER, "ck_unary_f32_omp: NULL kernel");
    free(x), free(y0), free(y1);

    /* batches split into row groups: whole-buffer results and the fixed-order db must not change
     * (B x H above two grains, so that the drivers do split) */
    enum { B = 41, H = 7 * CK_OMP_GRAIN / 128 };
    ck_lstm_desc d = { .batch = B, .hidden = H, .forget_bias = 1.0f, .cell_clip = 3.0f, .tier = CK_FAST };
    const size_t W = ck_lstm_workspace_floats(&d), sz[7] = { B * 4 * H, 4 * H, B * H, B * H, B * H, W, B * 4 * H };
    float *v[2][7];
    for (int r = 0; r < 2; ++r)
        for (int k = 0; k < 7; ++k)
            v[r][k] = xmalloc(sz[k] * sizeof(float));
    fill(v[0][0], sz[0], -5.0f, 5.0f); /* z */
    fill(v[0][1], sz[1], -0.5f, 0.5f); /* bias */
    fill(v[0][2], sz[2], -2.0f, 2.0f); /* c_prev */
    float *dh = xmalloc(B * H * sizeof(float)), *dcp0 = xmalloc(B * H * sizeof(float)),
          *dcp1 = xmalloc(B * H * sizeof(float)), *db0 = xmalloc(4 * H * sizeof(float)),
          *db1 = xmalloc(4 * H * sizeof(float));
    fill(dh, B * H, -1.0f, 1.0f);
    memset(db0, 0, 4 * H * sizeof(float));
    ck_lstm_forward(&d, v[0][0], v[0][1], v[0][2], v[0][3], v[0][4], v[0][5]);
    ck_lstm_backward(&d, dh, NULL, v[0][5], v[0][2], v[0][6], dcp0, db0);
    for (int threads = 0; threads <= 4; ++threads) {
        memset(db1, 0, 4 * H * sizeof(float));
        ck_status s1 = ck_lstm_forward_omp(&d, v[0][0], v[0][1], v[0][2], v[1][3], v[1][4], v[1][5], threads);
        ck_status s2 = ck_lstm_backward_omp(&d, dh, NULL, v[1][5], v[0][2], v[1][6], dcp1, db1, threads);
        int same_bits = !memcmp(v[0][3], v[1][3], sz[3] * sizeof(float)) && !memcmp(v[0][4], v[1][4], sz[4] * sizeof(float)) &&
                        !memcmp(v[0][5], v[1][5], W * sizeof(float)) && !memcmp(v[0][6], v[1][6], sz[6] * sizeof(float)) &&
                        !memcmp(dcp0, dcp1, B * H * sizeof(float)) && !memcmp(db0, db1, 4 * H * sizeof(float));
        check(s1 == CK_OK && s2 == CK_OK && same_bits, "LSTM OpenMP drivers, %d threads: status %d %d or bits differ",
              threads, s1, s2);
    }
    ck_gru_desc g = { .batch = B, .hidden = H, .tier = CK_FAST };
    const size_t GW = ck_gru_workspace_floats(&g);
    float *gws0 = xmalloc(GW * sizeof(float)), *gws1 = xmalloc(GW * sizeof(float));
    /* x, hg from z's storage (B x 3H fits in B x 4H), h_prev = c_prev; dx, dhg into dz's and z-sized buffers */
    ck_gru_forward(&g, v[0][0], v[0][6], v[0][2], v[0][3], gws0);
    ck_gru_backward(&g, dh, gws0, v[0][2], v[1][0], v[1][6], dcp0);
    float *dx1 = xmalloc(B * 3 * H * sizeof(float)), *dhg1 = xmalloc(B * 3 * H * sizeof(float));
    for (int threads = 0; threads <= 4; ++threads) {
        ck_status s1 = ck_gru_forward_omp(&g, v[0][0], v[0][6], v[0][2], v[1][3], gws1, threads);
        ck_status s2 = ck_gru_backward_omp(&g, dh, gws1, v[0][2], dx1, dhg1, dcp1, threads);
        int same_bits = !memcmp(v[0][3], v[1][3], B * H * sizeof(float)) && !memcmp(gws0, gws1, GW * sizeof(float)) &&
                        !memcmp(v[1][0], dx1, B * 3 * H * sizeof(float)) &&
                        !memcmp(v[1][6], dhg1, B * 3 * H * sizeof(float)) && !memcmp(dcp0, dcp1, B * H * sizeof(float));
        check(s1 == CK_OK && s2 == CK_OK && same_bits, "GRU OpenMP drivers, %d threads: status %d %d or bits differ",
              threads, s1, s2);
    }
    for (int r = 0; r < 2; ++r)
        for (int k = 0; k < 7; ++k)
            free(v[r][k]);
    free(dh), free(dcp0), free(dcp1), free(db0), free(db1), free(gws0), free(gws1), free(dx1), free(dhg1);
}

/* ---- status codes and ISA selection -------------------------------------------------------- */

static void test_status_codes(void)
{
    float x[16] = { 0 }, y[16];
    ck_isa absent = CK_ISA_SCALAR;
    for (ck_isa a = CK_ISA_SCALAR; a <= CK_ISA_NEON; ++a)
        if (!ck_isa_supported(a))
            absent = a;
    for (size_t i = 0; i <= nisas; ++i) {
        ck_isa isa = i < nisas ? isas[i] : CK_ISA_AUTO;
        const char *name = ck_isa_name(isa);
        for (int fi = 0; fi < NFUNCS; ++fi) {
            ck_func f = funcs[fi];
            const char *fn = func_names[fi];
            check(run(f, NULL, NULL, 0, CK_FAST, isa) == CK_OK, "%s %s: n=0 with NULL buffers", name, fn);
            check(run(f, NULL, y, 4, CK_FAST, isa) == CK_ERR_NULL_POINTER, "%s %s: NULL x", name, fn);
            check(run(f, x, NULL, 4, CK_FAST, isa) == CK_ERR_NULL_POINTER, "%s %s: NULL y", name, fn);
            check(run(f, x, y, 4, (ck_tier)3, isa) == CK_ERR_INVALID_ARGUMENT, "%s %s: tier 3", name, fn);
            check(run(f, x, y, 4, (ck_tier)-1, isa) == CK_ERR_INVALID_ARGUMENT, "%s %s: tier -1", name, fn);
            check(run(f, x, y, SIZE_MAX / 2, CK_FAST, isa) == CK_ERR_INVALID_ARGUMENT, "%s %s: n overflows", name,
                  fn);
            for (size_t k = 0; k < 16; ++k)
                x[k] = (float)k;
            check(run(f, x, x + 1, 8, CK_FAST, isa) == CK_ERR_OVERLAP, "%s %s: y = x + 1", name, fn);
            check(run(f, x + 3, x, 8, CK_FAST, isa) == CK_ERR_OVERLAP, "%s %s: x = y + 3", name, fn);
            size_t changed = 0;
            for (size_t k = 0; k < 16; ++k)
                changed += x[k] != (float)k;
            check(changed == 0, "%s %s: a rejected overlapping call wrote %zu floats", name, fn);
            check(run(f, x, x + 8, 8, CK_FAST, isa) == CK_OK, "%s %s: adjacent buffers", name, fn);
        }
    }
    if (absent != CK_ISA_SCALAR)
        check(ck_sigmoid_f32_isa(x, y, 4, CK_FAST, absent) == CK_ERR_UNSUPPORTED &&
                  ck_tanh_f32_isa(x, y, 4, CK_FAST, absent) == CK_ERR_UNSUPPORTED,
              "%s on a CPU without it: CK_ERR_UNSUPPORTED", ck_isa_name(absent));
    /* one rule: a value outside ck_isa is invalid, a valid ISA this CPU lacks unsupported */
    for (int v = -1; v <= 42; v += 43)
        check(ck_sigmoid_f32_isa(x, y, 4, CK_FAST, (ck_isa)v) == CK_ERR_INVALID_ARGUMENT &&
                  ck_tanh_f32_isa(x, y, 4, CK_FAST, (ck_isa)v) == CK_ERR_INVALID_ARGUMENT &&
                  ck_sigmoid_f32_isa(NULL, NULL, 0, CK_FAST, (ck_isa)v) == CK_ERR_INVALID_ARGUMENT,
              "ISA %d: CK_ERR_INVALID_ARGUMENT from the _isa functions", v);
    for (int s = CK_OK; s <= CK_ERR_UNSUPPORTED; ++s)
        check(strcmp(ck_status_string((ck_status)s), "unknown status") != 0, "status %d has a description", s);
}

/* The ISA chosen at start-up from GATEKERNELS_ISA (or the best), then ck_set_isa. */
static void test_isa_selection(ck_isa at_start)
{
    const char *env = getenv("GATEKERNELS_ISA");
    ck_isa best = ck_best_isa(), want = best;
    ck_status want_status = CK_OK;
    if (env && *env) {
        int known = 0;
        for (ck_isa a = CK_ISA_AUTO; a <= CK_ISA_NEON; ++a)
            if (strcasecmp(env, ck_isa_name(a)) == 0) { /* any case */
                known = 1;
                if (ck_isa_supported(a))
                    want = a == CK_ISA_AUTO ? best : a;
                else
                    want_status = CK_ERR_UNSUPPORTED;
            }
        if (!known)
            want_status = CK_ERR_INVALID_ARGUMENT;
        printf("GATEKERNELS_ISA=%s: active ISA %s\n", env, ck_isa_name(at_start));
    }
    check(at_start == want, "active ISA at start-up is %s, expected %s", ck_isa_name(at_start), ck_isa_name(want));
    check(ck_env_isa_status() == want_status, "ck_env_isa_status() = %d, expected %d", ck_env_isa_status(),
          want_status);

    float x[37], y[37], z[37];
    for (size_t k = 0; k < 37; ++k)
        x[k] = uniform(-10.0f, 10.0f);
    for (size_t i = 0; i < nisas; ++i) {
        check(ck_set_isa(isas[i]) == CK_OK && ck_active_isa() == isas[i], "ck_set_isa(%s)", ck_isa_name(isas[i]));
        ck_tanh_f32(x, y, 37, CK_PRECISE);
        ck_tanh_f32_isa(x, z, 37, CK_PRECISE, isas[i]);
        check(memcmp(y, z, sizeof y) == 0, "ck_tanh_f32 after ck_set_isa(%s) runs it", ck_isa_name(isas[i]));
        for (ck_isa a = CK_ISA_SCALAR; a <= CK_ISA_NEON; ++a)
            if (!ck_isa_supported(a))
                check(ck_set_isa(a) == CK_ERR_UNSUPPORTED && ck_active_isa() == isas[i],
                      "ck_set_isa(%s) without it: CK_ERR_UNSUPPORTED, no change", ck_isa_name(a));
    }
    check(ck_set_isa((ck_isa)42) == CK_ERR_INVALID_ARGUMENT && ck_set_isa((ck_isa)-1) == CK_ERR_INVALID_ARGUMENT,
          "ck_set_isa(42), ck_set_isa(-1): CK_ERR_INVALID_ARGUMENT");
    check(ck_set_isa(CK_ISA_AUTO) == CK_OK && ck_active_isa() == best, "ck_set_isa(auto) picks %s",
          ck_isa_name(best));
#if defined(__aarch64__)
    check(best == CK_ISA_NEON, "NEON is the best ISA on AArch64");
#endif
    ck_set_isa(at_start);
}

/* ---- every float, bit for bit ------------------------------------------------------------
 *
 * --digest-all sigmoid:fast,tanh:precise,... runs all 2^32 bit patterns through the named kernels
 * on one ISA (--isa, default the best) and prints a digest of the outputs per kernel, NaNs counted
 * as one NaN. Under emulation an exhaustive accuracy sweep does not fit, but the kernel alone does:
 * equal digests on two machines mean bitwise equal results for every float, so the x86 paths'
 * exhaustive proofs (gatekernels accuracy) hold for the other machine's paths too. */

#define DIGEST_CHUNKS 4096 /* fixed, so the digest does not depend on the thread count */

typedef struct {
    ck_func f;
    ck_tier tier;
    ck_isa isa;
    _Atomic unsigned next;
    uint64_t chunk[DIGEST_CHUNKS];
} digest_job;

static void *digest_worker(void *arg)
{
    digest_job *job = arg;
    enum { BLOCK = 4096 };
    float x[BLOCK], y[BLOCK];
    const uint64_t per_chunk = (1ull << 32) / DIGEST_CHUNKS;
    for (unsigned c; (c = atomic_fetch_add(&job->next, 1)) < DIGEST_CHUNKS;) {
        uint64_t h = DIGEST_SEED;
        for (uint64_t b = c * per_chunk; b < (c + 1) * per_chunk; b += BLOCK) {
            for (uint32_t k = 0; k < BLOCK; ++k)
                x[k] = from_bits((uint32_t)(b + k));
            run(job->f, x, y, BLOCK, job->tier, job->isa);
            for (uint32_t k = 0; k < BLOCK; ++k)
                h = (h ^ (y[k] != y[k] ? 0x7fc00000u : bits(y[k]))) * 0x100000001b3ull;
        }
        job->chunk[c] = h;
    }
    return NULL;
}

static int digest_all(const char *list, ck_isa isa, int threads)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        int fi = -1, ti = -1;
        for (int f = 0; f < NFUNCS; ++f)
            for (int t = 0; t < NTIERS; ++t) {
                char name[32];
                snprintf(name, sizeof name, "%s:%s", func_names[f], tier_names[t]);
                if (strcmp(item, name) == 0)
                    fi = f, ti = t;
            }
        if (fi < 0) {
            fprintf(stderr, "--digest-all: '%s' is not function:tier (sigmoid|tanh : precise|fast|approximate)\n",
                    item);
            return 2;
        }
        static digest_job job;
        job = (digest_job){ .f = funcs[fi], .tier = tiers[ti], .isa = isa };
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pthread_t th[64];
        for (int k = 0; k < threads; ++k)
            if (pthread_create(&th[k], NULL, digest_worker, &job) != 0) {
                fprintf(stderr, "cannot start a thread\n");
                return 2;
            }
        for (int k = 0; k < threads; ++k)
            pthread_join(th[k], NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        uint64_t h = digest(DIGEST_SEED, (const float *)job.chunk, 2 * DIGEST_CHUNKS);
        printf("all-floats digest %s %s %016" PRIx64 "  (%s, %.0f s)\n", func_names[fi], tier_names[ti], h,
               ck_isa_name(isa), (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    }
    return 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    ck_isa at_start = ck_active_isa();
    setvbuf(stdout, NULL, _IOLBF, 0); /* failures reach the log even if a guard page ends the run */
    uint64_t stride = 40009;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    const char *digest_list = NULL;
    ck_isa digest_isa = ck_best_isa();
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--stride") == 0 && i + 1 < argc)
            stride = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--exhaustive") == 0)
            stride = 1;
        else if (strcmp(argv[i], "--digest-all") == 0 && i + 1 < argc)
            digest_list = argv[++i];
        else if (strcmp(argv[i], "--isa") == 0 && i + 1 < argc) {
            const char *name = argv[++i];
            for (ck_isa a = CK_ISA_SCALAR; a <= CK_ISA_NEON; ++a)
                if (strcmp(name, ck_isa_name(a)) == 0)
                    digest_isa = a;
            if (strcmp(name, ck_isa_name(digest_isa)) != 0 || !ck_isa_supported(digest_isa)) {
                fprintf(stderr, "--isa %s: not an ISA this CPU and build run\n", name);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: %s [--stride N] [--threads T] [--exhaustive]\n"
                            "       %s --digest-all func:tier[,...] [--isa NAME] [--threads T]\n", argv[0], argv[0]);
            return 2;
        }
    }
    if (stride < 1 || threads < 1) {
        fprintf(stderr, "--stride and --threads must be at least 1\n");
        return 2;
    }
    if (threads > 64)
        threads = 64;
    if (digest_list)
        return digest_all(digest_list, digest_isa, (int)threads);

    static const ck_isa all[] = { CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512, CK_ISA_NEON };
    for (size_t i = 0; i < 4; ++i)
        if (ck_isa_supported(all[i]))
            isas[nisas++] = all[i];
    printf("ISAs:");
    for (size_t i = 0; i < nisas; ++i)
        printf(" %s", ck_isa_name(isas[i]));
    printf(" (best %s)\n", ck_isa_name(ck_best_isa()));

    test_isa_selection(at_start);
    test_half_tables();
    test_status_codes();
    test_specials();
    test_tails();
    test_odd_addresses();
    float *probe = probe_inputs();
    test_cross_isa_and_digests(probe);
    test_ftz_daz(probe);
    free(probe);
    test_half_exhaustive();
    test_half_tails();
    test_half_ftz_daz();
    test_half_status_codes();
    test_fp_flags();
    test_lstm();
    test_gru();
    test_gate_status_codes();
    test_half_lstm();
    test_half_gru();
#ifdef NATIVE_BF16
    test_bf16_native_gate_forwards();
#endif
    test_half_gate_status_codes();
    test_omp_drivers();
    for (int t = 0; t < NTIERS; ++t)
        printf("digest lstm %s %016" PRIx64 "\ndigest gru %s %016" PRIx64 "\n", tier_names[t], lstm_digest[t],
               tier_names[t], gru_digest[t]);
    for (int f = 0; f < 2; ++f)
        for (int t = 0; t < NTIERS; ++t)
            printf("digest lstm %s %s %016" PRIx64 "\ndigest gru %s %s %016" PRIx64 "\n", format_names[f],
                   tier_names[t], half_lstm_digest[f][t], format_names[f], tier_names[t], half_gru_digest[f][t]);
    test_contract(stride, (int)threads);

    printf("%lu passed, %lu failed\n", passed, failed);
    return failed ? 1 : 0;
}
