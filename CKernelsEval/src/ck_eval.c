/* clock_gettime, nanosleep and pthreads are POSIX; say so for strict -std=c11 builds */
#define _POSIX_C_SOURCE 200809L
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

uint64_t ck_ordered_index(float x)
{
    uint32_t u = bits_of(x);
    return (u & 0x80000000u) ? 0xFF800000ull - u : NEG_COUNT + u;
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

/* Where the double result is known in closed form the libm call is skipped: it dominates the cost
 * of a sweep, and these tails hold most floats (half of them have |x| < 2^-30). */
static inline double reference(ck_func f, float x)
{
    double d = x, a = fabs(d);
    if (f == CK_FUNC_TANH) {
        if (a < 0x1p-30) return d;               /* tanh d = d (1 - d^2/3 + ...), d^2/3 < 2^-61 */
        if (a > 22.0) return copysign(1.0, d);   /* 1 - tanh 22 < 2^-62 */
        return tanh(d);
    }
    if (a < 0x1p-30) return 0.5 + 0.25 * d;      /* next term d^3/48 < 2^-95 */
    if (d > 40.0) return 1.0;                    /* e^-40 < 2^-57 */
    return 1.0 / (1.0 + exp(-d));
}

double ck_reference(ck_func f, float x) { return reference(f, x); }

/* ulp of the floats in the binade of r, a double whose float rounding is normal: 2^(e-23) for
 * r = 1.m * 2^e, built from the exponent bits (frexp/ldexp cost more than the rest of the loop) */
static inline double ulp_of(double r)
{
    uint64_t u;
    memcpy(&u, &r, 8);
    uint64_t e = (u >> 52) & 0x7ff;
    u = (e - 23) << 52;
    double q;
    memcpy(&q, &u, 8);
    return q;
}

static int bucket(uint32_t u)
{
    return u <= 4 ? (int)u : u <= 8 ? 5 : u <= 64 ? 6 : 7;
}

static double thread_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define BLOCK CK_EVAL_BLOCK

/* one subject's running state inside one worker */
typedef struct {
    ck_eval_stats st;
    float first_y, last_y;
} subject_state;

typedef struct {
    ck_func f;
    const ck_eval_subject *subjects;
    size_t count;
    const ck_eval_range *range;
    uint64_t begin, end; /* positions (in strided steps) of this worker */
    subject_state *ss;
    _Atomic uint64_t *done;
} worker;

static void note_max(double v, float x, double *mx, float *mx_x)
{
    if (v > *mx) { *mx = v; *mx_x = x; }
}

typedef struct {
    float xs[BLOCK], neg[BLOCK], ys[BLOCK], yneg[BLOCK], reff[BLOCK];
    double ref[BLOCK];
} buffers;

static void accumulate(ck_func f, const buffers *b, size_t n, int first_block, subject_state *S)
{
    ck_eval_stats *s = &S->st;
    float prev = first_block ? b->ys[0] : S->last_y;
    if (first_block)
        S->first_y = b->ys[0];
    for (size_t i = 0; i < n; ++i) {
        float x = b->xs[i], y = b->ys[i];
        double ref = b->ref[i];
        float reff = b->reff[i];
        if (!isfinite(y) && isfinite(x) && s->nonfinite++ == 0)
            s->first_nonfinite_x = x;
        if ((y != y || (f == CK_FUNC_SIGMOID ? (y < 0.0f || y > 1.0f) : (y < -1.0f || y > 1.0f))) &&
            s->out_of_range++ == 0)
            s->first_out_of_range_x = x;
        if (f == CK_FUNC_TANH && bits_of(b->yneg[i]) != (bits_of(y) ^ 0x80000000u) && s->odd_violations++ == 0)
            s->first_odd_violation_x = x;
        if (y < prev && s->monotonicity_violations++ == 0)
            s->first_violation_x = x;
        prev = y;
        double abs_err = y == y ? fabs((double)y - ref) : INFINITY;
        s->sum_abs += abs_err;
        note_max(abs_err, x, &s->max_abs, &s->max_abs_x);
        s->exact += y == reff;
        if (fabs(ref) >= FLT_MIN && isfinite(ref)) {
            s->ulp_inputs++;
            uint32_t u = y == y ? ck_ulp_distance(y, reff) : UINT32_MAX;
            s->hist[bucket(u)]++;
            if (u > s->max_ulp) { s->max_ulp = u; s->max_ulp_x = x; }
            note_max(abs_err / ulp_of(ref), x, &s->max_ulp_frac, &s->max_ulp_frac_x);
            note_max(abs_err / fabs(ref), x, &s->max_rel, &s->max_rel_x);
        }
    }
    s->inputs += n;
    S->last_y = prev;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    const ck_eval_range *R = w->range;
    buffers *b = malloc(sizeof *b);
    if (!b)
        return (void *)1;
    for (uint64_t p = w->begin; p < w->end; p += BLOCK) {
        size_t n = (size_t)((w->end - p) < BLOCK ? (w->end - p) : BLOCK);
        for (size_t i = 0; i < n; ++i) {
            float x = ck_ordered_float(R->first + (p + i) * R->stride);
            b->xs[i] = x;
            b->neg[i] = -x;
            b->ref[i] = reference(w->f, x);
            b->reff[i] = (float)b->ref[i];
        }
        for (size_t j = 0; j < w->count; ++j) {
            double t0 = thread_seconds();
            const ck_eval_subject *sub = &w->subjects[j];
            sub->impl(b->xs, b->ys, n, sub->ctx);
            if (w->f == CK_FUNC_TANH)
                sub->impl(b->neg, b->yneg, n, sub->ctx);
            accumulate(w->f, b, n, p == w->begin, &w->ss[j]);
            w->ss[j].st.seconds += thread_seconds() - t0;
        }
        atomic_fetch_add(w->done, n);
    }
    free(b);
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
#define MERGE_COUNT(count, first) \
    if (a->count == 0 && b->count) a->first = b->first; \
    a->count += b->count;
    MERGE_COUNT(monotonicity_violations, first_violation_x)
    MERGE_COUNT(out_of_range, first_out_of_range_x)
    MERGE_COUNT(nonfinite, first_nonfinite_x)
    MERGE_COUNT(odd_violations, first_odd_violation_x)
#undef MERGE_COUNT
    a->seconds += b->seconds;
}

static void check_nans(const ck_eval_subject *sub, uint64_t stride, ck_eval_stats *s)
{
    float xs[BLOCK], ys[BLOCK];
    size_t n = 0;
    double t0 = thread_seconds();
    /* NaN patterns: exponent all ones, mantissa non-zero, either sign */
    for (uint64_t sign = 0; sign < 2; ++sign)
        for (uint64_t m = 1; m < (1u << 23); m += stride) {
            xs[n++] = float_of((uint32_t)((sign << 31) | 0x7F800000u | m));
            if (n == BLOCK || m + stride >= (1u << 23)) {
                sub->impl(xs, ys, n, sub->ctx);
                for (size_t i = 0; i < n; ++i)
                    if (ys[i] == ys[i] && s->nan_not_propagated++ == 0)
                        s->first_nan_not_propagated_bits = bits_of(xs[i]);
                s->nan_inputs += n;
                n = 0;
            }
        }
    s->seconds += thread_seconds() - t0;
}

#define MAX_THREADS 256

int ck_eval_sweep_many(ck_func f, const ck_eval_subject *subjects, size_t count, const ck_eval_range *R,
                       ck_eval_stats *out)
{
    if (!subjects || count == 0 || !R || !out || R->stride == 0 || R->threads < 1 || R->first > R->last ||
        R->last >= CK_ORDERED_COUNT || (f != CK_FUNC_SIGMOID && f != CK_FUNC_TANH))
        return -1;
    for (size_t j = 0; j < count; ++j)
        if (!subjects[j].impl)
            return -1;
    uint64_t steps = (R->last - R->first) / R->stride + 1;
    int nt = R->threads > MAX_THREADS ? MAX_THREADS : R->threads;
    if ((uint64_t)nt > steps) nt = (int)steps;
    worker ws[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    subject_state *ss = calloc((size_t)nt * count, sizeof *ss);
    if (!ss)
        return -1;
    _Atomic uint64_t done = 0;
    int started = 0, failed = 0;
    for (; started < nt; ++started) {
        int t = started;
        ws[t] = (worker){ .f = f, .subjects = subjects, .count = count, .range = R, .ss = ss + (size_t)t * count,
                          .begin = steps * t / nt, .end = steps * (t + 1) / nt, .done = &done };
        if (pthread_create(&th[t], NULL, run_worker, &ws[t]) != 0) {
            failed = 1;
            break;
        }
    }
    if (R->progress && !failed) {
        for (;;) {
            uint64_t d = atomic_load(&done);
            R->progress(d, steps, R->progress_ctx);
            if (d >= steps) break;
            struct timespec ts = { 0, 200000000 };
            nanosleep(&ts, NULL);
        }
    }
    for (int t = 0; t < started; ++t) {
        void *ret = NULL;
        pthread_join(th[t], &ret);
        failed |= ret != NULL;
    }
    if (failed) {
        free(ss);
        return -1;
    }
    for (size_t j = 0; j < count; ++j) {
        ck_eval_stats *o = &out[j];
        memset(o, 0, sizeof *o);
        for (int t = 0; t < nt; ++t) {
            const subject_state *cur = &ws[t].ss[j];
            /* monotonicity across the seam between consecutive workers (before the worker's own) */
            if (t > 0 && cur->first_y < ws[t - 1].ss[j].last_y && o->monotonicity_violations++ == 0)
                o->first_violation_x = ck_ordered_float(R->first + ws[t].begin * R->stride);
            merge(o, &cur->st);
        }
        if (R->include_nans)
            check_nans(&subjects[j], R->stride, o);
    }
    free(ss);
    return 0;
}

void ck_eval_call_plain(const float *x, float *y, size_t n, void *ctx)
{
    (*(const ck_eval_plain_fn *)ctx)(x, y, n);
}

int ck_eval_sweep(ck_func f, ck_eval_impl impl, void *impl_ctx, const ck_eval_range *R, ck_eval_stats *out)
{
    ck_eval_subject s = { impl, impl_ctx };
    return ck_eval_sweep_many(f, &s, 1, R, out);
}

static float eval1(ck_eval_impl impl, void *ctx, float x)
{
    float y;
    impl(&x, &y, 1, ctx);
    return y;
}

const char *ck_special_name(ck_special s)
{
    static const char *names[CK_SPECIAL_COUNT] = { "+0", "-0", "+inf", "-inf", "NaN", "+denormal",
                                                   "-denormal", "saturation+", "saturation-" };
    return (unsigned)s < CK_SPECIAL_COUNT ? names[s] : "unknown";
}

/* The first ordered index in [lo, hi] where pred holds, given that it holds from some point on
 * (hi + 1 if it never does). */
typedef int (*index_pred)(uint64_t k, const void *env);

static uint64_t bisect(uint64_t lo, uint64_t hi, index_pred pred, const void *env)
{
    uint64_t a = lo, b = hi + 1;
    while (a < b) {
        uint64_t m = a + (b - a) / 2;
        if (pred(m, env)) b = m; else a = m + 1;
    }
    return a;
}

typedef struct { ck_func f; ck_eval_impl impl; void *ctx; float target; int negate; } sat_env;

/* along increasing |x| on one side: has the output reached its saturation value? */
static int ref_saturated(uint64_t k, const void *e)
{
    const sat_env *s = e;
    float x = ck_ordered_float(k);
    return (float)reference(s->f, s->negate ? -x : x) == s->target;
}

static int impl_saturated(uint64_t k, const void *e)
{
    const sat_env *s = e;
    float x = ck_ordered_float(k);
    return eval1(s->impl, s->ctx, s->negate ? -x : x) == s->target;
}

static int same_bits(float a, float b) { return bits_of(a) == bits_of(b); }

static void check_saturation(ck_func f, ck_eval_impl impl, void *ctx, int negate, ck_special_result *r)
{
    float target = negate ? (f == CK_FUNC_SIGMOID ? 0.0f : -1.0f) : 1.0f;
    sat_env env = { f, impl, ctx, target, negate };
    uint64_t lo = ck_ordered_index(0.0f), hi = ck_ordered_index(FLT_MAX);
    uint64_t k_ref = bisect(lo, hi, ref_saturated, &env);
    uint64_t k_imp = bisect(lo, hi, impl_saturated, &env);
    float sign = negate ? -1.0f : 1.0f;
    r->ref_sat_x = k_ref > hi ? NAN : sign * ck_ordered_float(k_ref);
    r->sat_x = k_imp > hi ? NAN : sign * ck_ordered_float(k_imp);
    /* "saturation reached exactly at large |x|": from twice the reference's point to FLT_MAX */
    float from = 2.0f * fabsf(r->ref_sat_x);
    const float xs[] = { from, 4.0f * from, 1e6f, 1e20f, FLT_MAX };
    r->pass = 1;
    r->expected = target;
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; ++i) {
        float x = sign * xs[i], y = eval1(impl, ctx, x);
        if (i == 0 || (r->pass && y != target)) { r->x = x; r->y = y; }
        if (y != target) r->pass = 0;
    }
}

int ck_eval_specials(ck_func f, ck_eval_impl impl, void *ctx, ck_special_result out[CK_SPECIAL_COUNT])
{
    int sig = f == CK_FUNC_SIGMOID;
    memset(out, 0, sizeof(ck_special_result) * CK_SPECIAL_COUNT);
    for (int s = 0; s < CK_SPECIAL_COUNT; ++s)
        out[s].sat_x = out[s].ref_sat_x = NAN;
    /* single exact values; zeros must keep their sign for tanh */
    const struct { ck_special s; float x, expected; } exact[] = {
        { CK_SPECIAL_POS_ZERO, 0.0f, sig ? 0.5f : 0.0f },
        { CK_SPECIAL_NEG_ZERO, -0.0f, sig ? 0.5f : -0.0f },
        { CK_SPECIAL_POS_INF, INFINITY, 1.0f },
        { CK_SPECIAL_NEG_INF, -INFINITY, sig ? 0.0f : -1.0f },
    };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; ++i) {
        ck_special_result *r = &out[exact[i].s];
        r->x = exact[i].x;
        r->y = eval1(impl, ctx, r->x);
        r->expected = exact[i].expected;
        /* sigmoid(-inf) may be either zero; the signed zeros of tanh are part of the contract */
        r->pass = (sig || r->expected != 0.0f) ? r->y == r->expected : same_bits(r->y, r->expected);
    }
    const uint32_t nans[] = { 0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u, 0x7fa00000u, 0x7fffffffu, 0xffffffffu };
    ck_special_result *rn = &out[CK_SPECIAL_NAN];
    rn->pass = 1;
    rn->expected = NAN;
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; ++i) {
        float x = float_of(nans[i]), y = eval1(impl, ctx, x);
        if (i == 0 || (rn->pass && y == y)) { rn->x = x; rn->y = y; }
        if (y == y) rn->pass = 0;
    }
    /* denormal inputs: sigmoid rounds to 0.5; tanh(x) rounds to x, a subnormal result that may be
     * flushed to a zero of the same sign */
    const uint32_t dens[] = { 0x00000001u, 0x00000002u, 0x00400000u, 0x007fffffu };
    for (int neg = 0; neg < 2; ++neg) {
        ck_special_result *r = &out[neg ? CK_SPECIAL_NEG_DENORMAL : CK_SPECIAL_POS_DENORMAL];
        r->pass = 1;
        for (size_t i = 0; i < sizeof dens / sizeof dens[0]; ++i) {
            float x = float_of(dens[i] | (neg ? 0x80000000u : 0u)), y = eval1(impl, ctx, x);
            float expected = sig ? 0.5f : x;
            int ok = sig ? y == 0.5f : (same_bits(y, x) || same_bits(y, neg ? -0.0f : 0.0f));
            if (i == 0 || (r->pass && !ok)) { r->x = x; r->y = y; r->expected = expected; }
            if (!ok) r->pass = 0;
        }
    }
    check_saturation(f, impl, ctx, 0, &out[CK_SPECIAL_SAT_HIGH]);
    check_saturation(f, impl, ctx, 1, &out[CK_SPECIAL_SAT_LOW]);
    int failed = 0;
    for (int s = 0; s < CK_SPECIAL_COUNT; ++s)
        failed += !out[s].pass;
    return failed;
}

int ck_eval_profile(ck_func f, ck_eval_impl impl, void *ctx, float lo, float hi, size_t bins, size_t per_bin,
                    double *max_abs, double *max_ulp)
{
    if (!impl || !max_abs || !max_ulp || bins == 0 || per_bin == 0 || !(lo < hi) || !isfinite(lo) || !isfinite(hi))
        return -1;
    float xs[BLOCK], ys[BLOCK];
    for (size_t b = 0; b < bins; ++b) {
        max_abs[b] = 0;
        max_ulp[b] = 0;
    }
    size_t total = bins * per_bin;
    for (size_t p = 0; p < total; p += BLOCK) {
        size_t n = total - p < BLOCK ? total - p : BLOCK;
        for (size_t i = 0; i < n; ++i)
            xs[i] = (float)((double)lo + ((double)hi - lo) * ((double)(p + i) + 0.5) / (double)total);
        impl(xs, ys, n, ctx);
        for (size_t i = 0; i < n; ++i) {
            size_t b = (p + i) / per_bin;
            double ref = reference(f, xs[i]);
            double err = ys[i] == ys[i] ? fabs((double)ys[i] - ref) : INFINITY;
            if (err > max_abs[b]) max_abs[b] = err;
            if (fabs(ref) >= FLT_MIN && err / ulp_of(ref) > max_ulp[b]) max_ulp[b] = err / ulp_of(ref);
        }
    }
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
