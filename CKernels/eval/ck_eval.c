#include "ck_eval.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t bits_of(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static float float_of(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

#define NEG_COUNT 0x7F800001ull /* -inf ... -0 */

float ck_ordered_float(uint64_t k)
{
    return k < NEG_COUNT ? float_of((uint32_t)(0xFF800000ull - k)) : float_of((uint32_t)(k - NEG_COUNT));
}

/* position on the number line: -0 and +0 both map to 0 */
static int64_t line_index(float x)
{
    uint32_t u = bits_of(x);
    return (u & 0x80000000u) ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
}

uint32_t ck_ulp_distance(float a, float b)
{
    int64_t d = line_index(a) - line_index(b);
    return (uint32_t)(d < 0 ? -d : d);
}

double ck_reference(ck_func f, float x)
{
    double d = x;
    return f == CK_FUNC_SIGMOID ? 1.0 / (1.0 + exp(-d)) : tanh(d);
}

/* ulp of the float nearest to r (for a normal result) */
static double ulp_of(double r)
{
    int e;
    frexp(fabs(r), &e);
    return ldexp(1.0, e - 24);
}

static int bucket(uint32_t u)
{
    return u <= 4 ? (int)u : u <= 8 ? 5 : u <= 64 ? 6 : 7;
}

#define BLOCK 8192

typedef struct {
    ck_func f;
    ck_eval_impl impl;
    void *ctx;
    const ck_eval_range *range;
    uint64_t begin, end; /* positions (in strided steps) of this worker */
    ck_eval_stats st;
    float first_y, last_y;
    _Atomic uint64_t *done;
} worker;

static void note_max(double v, float x, double *mx, float *mx_x)
{
    if (v > *mx) { *mx = v; *mx_x = x; }
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    const ck_eval_range *R = w->range;
    float xs[BLOCK], ys[BLOCK], neg[BLOCK], yneg[BLOCK];
    ck_eval_stats *s = &w->st;
    float prev = 0;
    int have_prev = 0;
    for (uint64_t p = w->begin; p < w->end; p += BLOCK) {
        size_t n = (size_t)((w->end - p) < BLOCK ? (w->end - p) : BLOCK);
        for (size_t i = 0; i < n; ++i)
            xs[i] = ck_ordered_float(R->first + (p + i) * R->stride);
        w->impl(xs, ys, n, w->ctx);
        if (w->f == CK_FUNC_TANH) {
            for (size_t i = 0; i < n; ++i)
                neg[i] = -xs[i];
            w->impl(neg, yneg, n, w->ctx);
        }
        for (size_t i = 0; i < n; ++i) {
            float x = xs[i], y = ys[i];
            double ref = ck_reference(w->f, x);
            float reff = (float)ref;
            s->inputs++;
            if (!isfinite(y) && isfinite(x))
                s->nonfinite++;
            if (y != y || (w->f == CK_FUNC_SIGMOID ? (y < 0.0f || y > 1.0f) : (y < -1.0f || y > 1.0f)))
                s->out_of_range++;
            if (w->f == CK_FUNC_TANH && bits_of(yneg[i]) != (bits_of(y) ^ 0x80000000u))
                s->odd_violations++;
            if (have_prev && y < prev) {
                if (s->monotonicity_violations++ == 0)
                    s->first_violation_x = x;
            }
            if (!have_prev) { w->first_y = y; have_prev = 1; }
            prev = y;
            double abs_err = fabs((double)y - ref);
            if (y != y) abs_err = INFINITY;
            s->sum_abs += abs_err;
            note_max(abs_err, x, &s->max_abs, &s->max_abs_x);
            if (y == reff)
                s->exact++;
            if (fabs(ref) >= FLT_MIN && isfinite(ref)) {
                s->ulp_inputs++;
                uint32_t u = y == y ? ck_ulp_distance(y, reff) : UINT32_MAX;
                s->hist[bucket(u)]++;
                if (u > s->max_ulp) { s->max_ulp = u; s->max_ulp_x = x; }
                note_max(abs_err / ulp_of(ref), x, &s->max_ulp_frac, &s->max_ulp_frac_x);
                note_max(abs_err / fabs(ref), x, &s->max_rel, &s->max_rel_x);
            }
        }
        atomic_fetch_add(w->done, n);
    }
    w->last_y = prev;
    return NULL;
}

static void merge(ck_eval_stats *a, const ck_eval_stats *b)
{
    a->inputs += b->inputs;
    a->ulp_inputs += b->ulp_inputs;
    if (b->max_ulp > a->max_ulp) { a->max_ulp = b->max_ulp; a->max_ulp_x = b->max_ulp_x; }
    note_max(b->max_ulp_frac, b->max_ulp_frac_x, &a->max_ulp_frac, &a->max_ulp_frac_x);
    note_max(b->max_abs, b->max_abs_x, &a->max_abs, &a->max_abs_x);
    note_max(b->max_rel, b->max_rel_x, &a->max_rel, &a->max_rel_x);
    a->sum_abs += b->sum_abs;
    a->exact += b->exact;
    for (int i = 0; i < CK_HIST_BUCKETS; ++i)
        a->hist[i] += b->hist[i];
    if (a->monotonicity_violations == 0 && b->monotonicity_violations)
        a->first_violation_x = b->first_violation_x;
    a->monotonicity_violations += b->monotonicity_violations;
    a->out_of_range += b->out_of_range;
    a->nonfinite += b->nonfinite;
    a->odd_violations += b->odd_violations;
}

static void check_nans(ck_func f, ck_eval_impl impl, void *ctx, uint64_t stride, ck_eval_stats *s)
{
    float xs[BLOCK], ys[BLOCK];
    size_t n = 0;
    /* NaN patterns: exponent all ones, mantissa non-zero, either sign */
    for (uint64_t sign = 0; sign < 2; ++sign)
        for (uint64_t m = 1; m < (1u << 23); m += stride) {
            xs[n++] = float_of((uint32_t)((sign << 31) | 0x7F800000u | m));
            if (n == BLOCK || m + stride >= (1u << 23)) {
                impl(xs, ys, n, ctx);
                for (size_t i = 0; i < n; ++i)
                    s->nan_not_propagated += ys[i] == ys[i];
                s->nan_inputs += n;
                n = 0;
            }
        }
    (void)f;
}

int ck_eval_sweep(ck_func f, ck_eval_impl impl, void *impl_ctx, const ck_eval_range *R, ck_eval_stats *out)
{
    if (!impl || !R || !out || R->stride == 0 || R->threads < 1 || R->first > R->last ||
        R->last >= CK_ORDERED_COUNT)
        return -1;
    memset(out, 0, sizeof *out);
    uint64_t steps = (R->last - R->first) / R->stride + 1;
    int nt = R->threads > 64 ? 64 : R->threads;
    if ((uint64_t)nt > steps) nt = (int)steps;
    worker ws[64];
    pthread_t th[64];
    _Atomic uint64_t done = 0;
    for (int t = 0; t < nt; ++t) {
        ws[t] = (worker){ .f = f, .impl = impl, .ctx = impl_ctx, .range = R,
                          .begin = steps * t / nt, .end = steps * (t + 1) / nt, .done = &done };
        if (pthread_create(&th[t], NULL, run_worker, &ws[t]) != 0) {
            for (int j = 0; j < t; ++j) pthread_join(th[j], NULL);
            return -1;
        }
    }
    if (R->progress) {
        for (;;) {
            uint64_t d = atomic_load(&done);
            R->progress(d, steps, R->progress_ctx);
            if (d >= steps) break;
            struct timespec ts = { 0, 200000000 };
            nanosleep(&ts, NULL);
        }
    }
    for (int t = 0; t < nt; ++t) {
        pthread_join(th[t], NULL);
        merge(out, &ws[t].st);
        /* monotonicity across the seam between consecutive workers */
        if (t > 0 && ws[t].end > ws[t].begin && ws[t].first_y < ws[t - 1].last_y) {
            if (out->monotonicity_violations++ == 0)
                out->first_violation_x = ck_ordered_float(R->first + ws[t].begin * R->stride);
        }
    }
    if (R->include_nans)
        check_nans(f, impl, impl_ctx, R->stride, out);
    return 0;
}

#if defined(__x86_64__)
#include <xmmintrin.h>
unsigned ck_eval_get_ftz_daz(void)
{
    unsigned m = _mm_getcsr();
    return ((m >> 15) & 1u) | (((m >> 6) & 1u) << 1);
}
unsigned ck_eval_set_ftz_daz(unsigned bits)
{
    unsigned old = ck_eval_get_ftz_daz();
    unsigned m = _mm_getcsr() & ~((1u << 15) | (1u << 6));
    _mm_setcsr(m | ((bits & 1u) << 15) | ((bits >> 1 & 1u) << 6));
    return old;
}
#elif defined(__aarch64__)
unsigned ck_eval_get_ftz_daz(void)
{
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    return (fpcr >> 24) & 1u ? 3u : 0u; /* FZ flushes both inputs and outputs */
}
unsigned ck_eval_set_ftz_daz(unsigned bits)
{
    unsigned old = ck_eval_get_ftz_daz();
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = bits ? (fpcr | (1u << 24)) : (fpcr & ~(uint64_t)(1u << 24));
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
    return old;
}
#else
unsigned ck_eval_get_ftz_daz(void) { return 0; }
unsigned ck_eval_set_ftz_daz(unsigned bits) { (void)bits; return 0; }
#endif
