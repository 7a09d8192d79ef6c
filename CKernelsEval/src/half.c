/* Error statistics of a half-format (bf16, IEEE binary16) implementation over all 65,536 inputs:
 * the rule of the half-format contract in ckernels.h, shared by ck_test.c and `gatekernels`. */
#include "ck_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint16_t inf_bits(ck_eval_format f) { return f == CK_EVAL_BF16 ? 0x7f80u : 0x7c00u; }
static uint16_t quiet_bit(ck_eval_format f) { return f == CK_EVAL_BF16 ? 0x40u : 0x200u; }

int ck_half_is_nan(ck_eval_format f, uint16_t h) { return (h & 0x7fffu) > inf_bits(f); }

double ck_half_value(ck_eval_format f, uint16_t h)
{
    if (f == CK_EVAL_BF16) {
        uint32_t u = (uint32_t)h << 16;
        float x;
        memcpy(&x, &u, 4);
        return x;
    }
    double sign = h & 0x8000u ? -1.0 : 1.0;
    unsigned e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 31)
        return m ? NAN : sign * INFINITY;
    return sign * (e ? ldexp(1024.0 + m, (int)e - 25) : ldexp(m, -24));
}

/* a position along the line of the format's values (both zeros at 0): ulps apart = difference */
static long ordered(uint16_t h) { return h & 0x8000u ? -(long)(h & 0x7fffu) : (long)h; }

/* the gap between the magnitude m and its upper neighbour (the lower one's at the top) */
static double gap_above(ck_eval_format f, unsigned m)
{
    return m + 1 < inf_bits(f) ? ck_half_value(f, (uint16_t)(m + 1)) - ck_half_value(f, (uint16_t)m)
                               : ck_half_value(f, (uint16_t)m) - ck_half_value(f, (uint16_t)(m - 1));
}

uint16_t ck_half_round(ck_eval_format f, double r, unsigned *near_tie)
{
    uint16_t sign = signbit(r) ? 0x8000u : 0;
    double a = fabs(r);
    unsigned lo = 0, hi = inf_bits(f); /* the largest magnitude whose value is <= a */
    while (lo < hi) {
        unsigned mid = (lo + hi + 1) / 2;
        if (ck_half_value(f, (uint16_t)mid) <= a)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (lo == inf_bits(f))
        return sign | inf_bits(f);
    double mid = ck_half_value(f, (uint16_t)lo) + gap_above(f, lo) / 2;
    if (a != 0 && fabs(a - mid) <= a * 0x1p-50)
        ++*near_tie;
    unsigned k = a < mid ? lo : a > mid ? lo + 1 : lo + (lo & 1);
    return (uint16_t)(sign | k);
}

int ck_eval_half(ck_func f, ck_eval_format fmt, const uint16_t *y, ck_eval_half_stats *out)
{
    if (!y || !out || (unsigned)fmt > CK_EVAL_F16 || (unsigned)f > CK_FUNC_TANH)
        return -1;
    ck_eval_half_stats s = { 0 };
    const double lo = f == CK_FUNC_SIGMOID ? 0.0 : -1.0, normal_min = fmt == CK_EVAL_BF16 ? 0x1p-126 : 0x1p-14;
    for (uint32_t i = 0; i < CK_HALF_COUNT; ++i) {
        uint16_t x = (uint16_t)i;
        if (ck_half_is_nan(fmt, x)) {
            s.bad_nan += y[i] != (x | quiet_bit(fmt)); /* the input NaN, quieted */
            continue;
        }
        double xv = ck_half_value(fmt, x);
        double exact = f == CK_FUNC_SIGMOID ? 1.0 / (1.0 + exp(-xv)) : tanh(xv);
        uint16_t ref = ck_half_round(fmt, exact, &s.near_ties);
        double v = ck_half_value(fmt, y[i]), err = fabs(v - exact);
        s.out_of_range += !(v >= lo && v <= 1.0);
        if (f == CK_FUNC_TANH)
            s.not_odd += y[i ^ 0x8000u] != (y[i] ^ 0x8000u);
        /* bf16 sigmoid below the flush point: 0 where the true result is below the normal range */
        if (fmt == CK_EVAL_BF16 && f == CK_FUNC_SIGMOID && exact < normal_min && y[i] == 0) {
            ++s.flushed;
            continue;
        }
        ++s.measured;
        unsigned d = (unsigned)labs(ordered(y[i]) - ordered(ref));
        s.correct += d == 0;
        if (d > s.max_ulp)
            s.max_ulp = d, s.max_ulp_x = x;
        if (err > s.max_abs)
            s.max_abs = err, s.max_abs_x = x;
        unsigned m = y[i] & 0x7fffu;
        double gap = fmax(gap_above(fmt, m), m ? ck_half_value(fmt, (uint16_t)m) - ck_half_value(fmt, (uint16_t)(m - 1)) : 0);
        if (err > 2e-4 + gap / 2 && s.over_abs++ == 0)
            s.over_abs_x = x;
    }
    /* monotone along the line: magnitudes down through the negatives, then up through the positives */
    double prev = -INFINITY;
    for (long k = -(long)inf_bits(fmt); k <= (long)inf_bits(fmt); ++k) {
        double v = ck_half_value(fmt, y[k < 0 ? 0x8000u | (unsigned)-k : (unsigned)k]);
        s.not_monotone += v < prev;
        prev = v;
    }
    /* specials: +-0, +-inf */
    uint16_t inf = inf_bits(fmt), one = fmt == CK_EVAL_BF16 ? 0x3f80u : 0x3c00u;
    uint16_t want0 = f == CK_FUNC_SIGMOID ? (fmt == CK_EVAL_BF16 ? 0x3f00u : 0x3800u) : 0;
    s.specials_pass = f == CK_FUNC_SIGMOID
                          ? y[0] == want0 && y[0x8000u] == want0 && y[inf] == one && y[0x8000u | inf] == 0
                          : y[0] == 0 && y[0x8000u] == 0x8000u && y[inf] == one && y[0x8000u | inf] == (0x8000u | one);
    *out = s;
    return 0;
}

int ck_eval_half_within_bound(const ck_eval_half_stats *s, int absolute)
{
    return absolute ? s->over_abs == 0 : s->max_ulp <= 1 && s->correct * 1000ull >= s->measured * 999ull;
}
