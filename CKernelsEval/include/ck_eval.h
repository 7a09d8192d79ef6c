/* Error statistics of an activation implementation against a double-precision reference, over
 * all floats (or a range or stride of them), multithreaded. Used by `gatekernels accuracy`, the C
 * tests, the Swift tests and the GateKernelsEval module. The engine keeps no global state: every
 * function may be called from several threads at once. */
#ifndef CK_EVAL_H
#define CK_EVAL_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CK_FUNC_SIGMOID = 0, CK_FUNC_TANH = 1 } ck_func;

/* The floats in increasing order, -inf ... -0, +0 ... +inf, are numbered 0 ... CK_ORDERED_COUNT-1. */
#define CK_ORDERED_COUNT 4278190082ull
float ck_ordered_float(uint64_t k);
/* The position of a non-NaN float in that order (the inverse of ck_ordered_float). */
uint64_t ck_ordered_index(float x);
/* Distance in units in the last place between two floats of any sign (0 for -0 vs +0). */
uint32_t ck_ulp_distance(float a, float b);

/* The reference in double precision: 1/(1+exp(-x)) and tanh(x). */
double ck_reference(ck_func f, float x);

#define CK_HIST_BUCKETS 8 /* ulp distance 0, 1, 2, 3, 4, 5-8, 9-64, >64 (NaN counts as >64) */

typedef struct {
    uint64_t inputs;                /* non-NaN inputs evaluated */
    uint64_t ulp_inputs;            /* of them, those whose true result is a normal float (ulp bound applies) */
    uint32_t max_ulp;               /* integer ulp distance to the reference rounded to float */
    float max_ulp_x;                /* ..._x: the first input (in sweep order) that reached the maximum */
    double max_ulp_frac;            /* |y - ref| / ulp(ref) with the unrounded reference */
    float max_ulp_frac_x;
    double max_abs;
    float max_abs_x;
    double max_rel;                 /* over results whose true value is normal */
    float max_rel_x;
    double sum_abs;                 /* mean absolute error = sum_abs / inputs */
    uint64_t exact;                 /* y equals the correctly rounded reference */
    uint64_t hist[CK_HIST_BUCKETS]; /* over the ulp_inputs */
    uint64_t monotonicity_violations; /* y[k+1] < y[k] along increasing inputs */
    float first_violation_x;        /* the larger input of the first violating pair */
    uint64_t out_of_range;          /* sigmoid outside [0,1], tanh outside [-1,1], or NaN */
    float first_out_of_range_x;
    uint64_t nonfinite;             /* NaN or inf for a finite input */
    float first_nonfinite_x;
    uint64_t nan_inputs;            /* NaN bit patterns evaluated */
    uint64_t nan_not_propagated;    /* of them, those that did not give NaN */
    uint32_t first_nan_not_propagated_bits;
    uint64_t odd_violations;        /* tanh only: tanh(-x) != -tanh(x) bitwise */
    float first_odd_violation_x;
    double seconds;                 /* CPU seconds spent in this implementation and its statistics */
} ck_eval_stats;

/* Evaluates y[0..n) = f(x[0..n)); must be callable from several threads at once. The engine calls
 * it on at most CK_EVAL_BLOCK inputs at a time, x and y never overlapping. */
#define CK_EVAL_BLOCK 8192
typedef void (*ck_eval_impl)(const float *x, float *y, size_t n, void *ctx);

typedef struct {
    ck_eval_impl impl;
    void *ctx;
} ck_eval_subject;

/* A buffer function without a context, the shape of a plug-in (`gatekernels accuracy --impl`). */
typedef void (*ck_eval_plain_fn)(const float *x, float *y, size_t n);
/* A ck_eval_impl whose context points to a ck_eval_plain_fn: calls that function. */
void ck_eval_call_plain(const float *x, float *y, size_t n, void *ctx);

typedef struct {
    uint64_t first, last;   /* ordered indices, inclusive */
    uint64_t stride;        /* >= 1 */
    int threads;            /* >= 1 */
    int include_nans;       /* also run every NaN bit pattern (with stride) */
    /* called every 0.2 s from the calling thread with (done, total); may be NULL */
    void (*progress)(uint64_t done, uint64_t total, void *ctx);
    void *progress_ctx;
} ck_eval_range;

/* 0 on success, -1 on bad arguments or a failed thread start. */
int ck_eval_sweep(ck_func f, ck_eval_impl impl, void *impl_ctx, const ck_eval_range *range, ck_eval_stats *out);

/* The same for `count` implementations of one function at once, out[i] for subjects[i]: the
 * reference, which costs more than any implementation, is computed once per input for all. */
int ck_eval_sweep_many(ck_func f, const ck_eval_subject *subjects, size_t count, const ck_eval_range *range,
                       ck_eval_stats *out);

/* The special values of the contract (docs/design.md), each checked on a handful of inputs. */
typedef enum {
    CK_SPECIAL_POS_ZERO = 0,  /* sigmoid(+0) = 0.5, tanh(+0) = +0 */
    CK_SPECIAL_NEG_ZERO,      /* sigmoid(-0) = 0.5, tanh(-0) = -0 */
    CK_SPECIAL_POS_INF,       /* sigmoid(+inf) = 1, tanh(+inf) = 1 */
    CK_SPECIAL_NEG_INF,       /* sigmoid(-inf) = 0, tanh(-inf) = -1 */
    CK_SPECIAL_NAN,           /* quiet and signalling NaNs of both signs give NaN */
    CK_SPECIAL_POS_DENORMAL,  /* sigmoid = 0.5; tanh(x) = x, or +0 where flushed */
    CK_SPECIAL_NEG_DENORMAL,  /* sigmoid = 0.5; tanh(x) = x, or -0 where flushed */
    CK_SPECIAL_SAT_HIGH,      /* exactly 1 from twice the reference's saturation point up to FLT_MAX */
    CK_SPECIAL_SAT_LOW,       /* exactly 0 (sigmoid) or -1 (tanh) likewise on the negative side */
    CK_SPECIAL_COUNT
} ck_special;

typedef struct {
    int pass;
    float x;        /* the first failing input; for a pass, the input checked first */
    float y;        /* the implementation's output at x */
    float expected; /* the expected output at x (NaN for "any NaN") */
    /* saturation rows: the input from which the implementation stays saturated (found by
     * bisection, which assumes monotonicity; the sweep checks that) and the reference's */
    float sat_x, ref_sat_x;
} ck_special_result;

/* "+0", "-0", "+inf", "-inf", "NaN", "+denormal", "-denormal", "saturation+", "saturation-". */
const char *ck_special_name(ck_special s);
/* Fills out[0 .. CK_SPECIAL_COUNT); returns how many failed. */
int ck_eval_specials(ck_func f, ck_eval_impl impl, void *impl_ctx, ck_special_result out[CK_SPECIAL_COUNT]);

/* Where the child process of ck_eval_sweep_isolated died. */
typedef struct {
    int signal;       /* the signal that ended it, or 0 when it exited (with exit_status) */
    int exit_status;
    int in_call;      /* 1: it died inside a call of subjects[subject] on the inputs below; 0: elsewhere */
    size_t subject;
    /* The inputs of that call, in call order (n of them), narrowed by calling the subject again in
     * further child processes on halves of them for as long as a half still crashes: single = 1
     * when one input alone crashes it (first_x is that input). */
    float first_x, last_x;
    size_t n;
    int single;
} ck_eval_crash;

/* ck_eval_sweep_many, then ck_eval_specials of every subject into specials[i * CK_SPECIAL_COUNT ...],
 * in a child process (fork), so that an implementation that crashes ends the child and not the
 * caller; the results come back through shared memory, progress (if any) is reported from the
 * calling thread. 0 on success, -1 on bad arguments or a failed fork or thread start, 1 when the
 * child died (*crash says where). POSIX only; the child calls nothing but the engine and the
 * subjects, so the subjects must not rely on other threads of the caller. */
int ck_eval_sweep_isolated(ck_func f, const ck_eval_subject *subjects, size_t count, const ck_eval_range *range,
                           ck_eval_stats *out, ck_special_result *specials, ck_eval_crash *crash);

/* For `bins` equal slices of [lo, hi], the largest absolute error and the largest fractional ulp
 * error (0 where the true result is not a normal float) over `per_bin` evenly spaced inputs of
 * each slice. For plots. 0 on success, -1 on bad arguments. */
int ck_eval_profile(ck_func f, ck_eval_impl impl, void *impl_ctx, float lo, float hi, size_t bins,
                    size_t per_bin, double *max_abs, double *max_ulp);

/* ---- half formats: every one of the 65,536 inputs ---------------------------------------------
 * The rule of the half-format contract (ckernels.h): the error in ulps of the format from the
 * correctly rounded result of the exact function (the double reference rounded to the format here,
 * independently of the library's conversions), and the share correctly rounded. */
typedef enum { CK_EVAL_BF16 = 0, CK_EVAL_F16 = 1 } ck_eval_format;
#define CK_HALF_COUNT 65536u

/* The exact value of a bit pattern (NaN for a NaN), decoded here rather than by the library. */
double ck_half_value(ck_eval_format f, uint16_t h);
int ck_half_is_nan(ck_eval_format f, uint16_t h);
/* r rounded to nearest even in the format; *near_tie counts an r so close to a midpoint that the
 * double reference's own error (below 2^-50 relative) could decide the rounding. */
uint16_t ck_half_round(ck_eval_format f, double r, unsigned *near_tie);

typedef struct {
    uint32_t measured;      /* non-NaN inputs measured in ulps (all but NaNs and the flushed) */
    uint32_t max_ulp;       /* ulps of the format from the correctly rounded exact result */
    uint16_t max_ulp_x;     /* ..._x: the bit pattern of the first input reaching it */
    uint32_t correct;       /* results equal to the correctly rounded one */
    uint32_t flushed;       /* bf16 sigmoid: 0 where the true result is below the normal range */
    double max_abs;         /* against the exact function */
    uint16_t max_abs_x;
    uint32_t over_abs;      /* results beyond 2e-4 plus half an ulp of the format at the result */
    uint16_t over_abs_x;
    uint32_t not_monotone;  /* y decreasing along increasing inputs */
    uint32_t out_of_range;  /* sigmoid outside [0, 1], tanh outside [-1, 1] */
    uint32_t bad_nan;       /* NaN inputs whose result is not that NaN made quiet */
    uint32_t not_odd;       /* tanh only: tanh(-x) != -tanh(x) bitwise */
    int specials_pass;      /* +-0 and +-inf give their exact results */
    unsigned near_ties;     /* references too close to a rounding midpoint to decide (0 expected) */
} ck_eval_half_stats;

/* The statistics of y[h] = f(h) for every bit pattern h (y holds CK_HALF_COUNT results, in order).
 * 0 on success, -1 on bad arguments. */
int ck_eval_half(ck_func f, ck_eval_format fmt, const uint16_t *y, ck_eval_half_stats *out);
/* Whether the statistics keep the bound: absolute (the approximate tier) <= 2e-4 plus half an ulp
 * of the format; else <= 1 ulp and correctly rounded for at least 99.9% of the measured inputs. */
int ck_eval_half_within_bound(const ck_eval_half_stats *s, int absolute);

/* The calling thread's floating-point control bits that docs/design.md promises not to need or change:
 * flush-to-zero and denormals-are-zero (x86 MXCSR bits 15 and 6; AArch64 FPCR.FZ). Returns the
 * previous setting as a bit set: 1 = FTZ, 2 = DAZ. */
unsigned ck_eval_get_ftz_daz(void);
unsigned ck_eval_set_ftz_daz(unsigned bits);

#ifdef __cplusplus
}
#endif
#endif
