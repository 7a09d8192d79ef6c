/* Error statistics of an activation implementation against a double-precision reference, over
 * all floats (or a range or stride of them), multithreaded. Used by `gatekernels accuracy`, the C
 * tests and the Swift tests. */
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
/* Distance in units in the last place between two floats of any sign (0 for -0 vs +0). */
uint32_t ck_ulp_distance(float a, float b);

/* The reference in double precision: 1/(1+exp(-x)) and tanh(x). */
double ck_reference(ck_func f, float x);

#define CK_HIST_BUCKETS 8 /* ulp distance 0, 1, 2, 3, 4, 5-8, 9-64, >64 */

typedef struct {
    uint64_t inputs;                /* non-NaN inputs evaluated */
    uint64_t ulp_inputs;            /* of them, those whose true result is a normal float (ulp bound applies) */
    uint32_t max_ulp;               /* integer ulp distance to the reference rounded to float */
    float max_ulp_x;
    double max_ulp_frac;            /* |y - ref| / ulp(ref) with the unrounded reference */
    float max_ulp_frac_x;
    double max_abs;
    float max_abs_x;
    double max_rel;                 /* over results whose true value is normal */
    float max_rel_x;
    double sum_abs;                 /* mean absolute error = sum_abs / inputs */
    uint64_t exact;                 /* y equals the correctly rounded reference */
    uint64_t hist[CK_HIST_BUCKETS];
    uint64_t monotonicity_violations; /* y[k+1] < y[k] along increasing inputs */
    float first_violation_x;
    uint64_t out_of_range;          /* sigmoid outside [0,1], tanh outside [-1,1] */
    uint64_t nonfinite;             /* NaN or inf for a finite input */
    uint64_t nan_inputs;            /* NaN bit patterns evaluated */
    uint64_t nan_not_propagated;    /* of them, those that did not give NaN */
    uint64_t odd_violations;        /* tanh only: tanh(-x) != -tanh(x) bitwise */
} ck_eval_stats;

/* Evaluates y[0..n) = f(x[0..n)); must be callable from several threads at once. */
typedef void (*ck_eval_impl)(const float *x, float *y, size_t n, void *ctx);

typedef struct {
    uint64_t first, last;   /* ordered indices, inclusive */
    uint64_t stride;        /* >= 1 */
    int threads;            /* >= 1 */
    int include_nans;       /* also run every NaN bit pattern (with stride) */
    /* called now and then from the calling thread with (done, total); may be NULL */
    void (*progress)(uint64_t done, uint64_t total, void *ctx);
    void *progress_ctx;
} ck_eval_range;

/* 0 on success, -1 on bad arguments or a failed thread start. */
int ck_eval_sweep(ck_func f, ck_eval_impl impl, void *impl_ctx, const ck_eval_range *range, ck_eval_stats *out);

/* The calling thread's floating-point control bits that DESIGN.md promises not to need or change:
 * flush-to-zero and denormals-are-zero (x86 MXCSR bits 15 and 6; AArch64 FPCR.FZ). Returns the
 * previous setting as a bit set: 1 = FTZ, 2 = DAZ. */
unsigned ck_eval_get_ftz_daz(void);
unsigned ck_eval_set_ftz_daz(unsigned bits);

#ifdef __cplusplus
}
#endif
#endif
