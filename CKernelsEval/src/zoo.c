/* The approximation zoo (see ck_zoo.h). Each entry is the textbook formula as its users write it,
 * with the clamping they need to stay finite; the constants are the published ones. */
#include "ck_zoo.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define UNARY(name, expr)                                                      \
    static void name(const float *xs, float *ys, size_t n, void *ctx)         \
    {                                                                          \
        (void)ctx;                                                             \
        for (size_t i = 0; i < n; ++i) {                                       \
            float x = xs[i];                                                   \
            ys[i] = (expr);                                                    \
        }                                                                      \
    }

static float clampf(float v, float lo, float hi) { return fminf(fmaxf(v, lo), hi); }
/* keep NaN: fminf/fmaxf would turn it into a bound */
static float clamp_nan(float x, float v, float lo, float hi) { return x != x ? x : clampf(v, lo, hi); }

/* Schraudolph (1999), "A fast, compact approximation of the exponential function", in its float
 * form: the bits of (int)(2^23/ln2 * y + (127 * 2^23 - C)) read as a float; C = 486411 is
 * Schraudolph's RMS-optimal 60801 scaled from his 2^20 to 2^23. y is clamped to keep the
 * exponent field inside the normal range (the classic trick overflows the int otherwise). */
static float schraudolph_exp(float y)
{
    y = clampf(y, -87.0f, 88.0f);
    int32_t i = (int32_t)((float)(8388608.0 / 0.69314718055994530942) * y + (float)(127 * 8388608 - 486411));
    float r;
    memcpy(&r, &i, 4);
    return r;
}

static float schraudolph_sigmoid1(float x) { return x != x ? x : 1.0f / (1.0f + schraudolph_exp(-x)); }
static float schraudolph_tanh1(float x)
{
    if (x != x) return x;
    float e = schraudolph_exp(2.0f * x);
    return (e - 1.0f) / (e + 1.0f);
}

/* The [3/2] Padé approximant of tanh at 0; it is increasing everywhere and crosses 1 near
 * 2.32, hence the clip; the input is clipped to [-3, 3] first so that x^3 cannot overflow into inf/inf. */
static float pade_tanh1(float x)
{
    float c = clamp_nan(x, x, -3.0f, 3.0f);
    return clamp_nan(x, c * (15.0f + c * c) / (15.0f + 6.0f * c * c), -1.0f, 1.0f);
}

UNARY(libm_sigmoid, 1.0f / (1.0f + expf(-x)))
UNARY(keras_hard_sigmoid, clamp_nan(x, 0.2f * x + 0.5f, 0.0f, 1.0f))
UNARY(pytorch_hardsigmoid, clamp_nan(x, x + 3.0f, 0.0f, 6.0f) / 6.0f)
UNARY(schraudolph_sigmoid, schraudolph_sigmoid1(x))
UNARY(libm_tanhf, tanhf(x))
UNARY(hard_tanh, clamp_nan(x, x, -1.0f, 1.0f))
UNARY(softsign, isinf(x) ? copysignf(1.0f, x) : x / (1.0f + fabsf(x)))
UNARY(schraudolph_tanh, schraudolph_tanh1(x))
UNARY(pade_tanh, pade_tanh1(x))

static const ck_zoo_entry zoo[] = {
    { "libm-sigmoid", "libm scalar 1/(1+expf(-x))", CK_FUNC_SIGMOID, libm_sigmoid },
    { "keras-hard-sigmoid", "Keras hard sigmoid clip(0.2x+0.5, 0, 1)", CK_FUNC_SIGMOID, keras_hard_sigmoid },
    { "pytorch-hardsigmoid", "PyTorch hardsigmoid relu6(x+3)/6", CK_FUNC_SIGMOID, pytorch_hardsigmoid },
    { "schraudolph-sigmoid", "1/(1+e^-x), e^x by Schraudolph's exponent-bit trick", CK_FUNC_SIGMOID, schraudolph_sigmoid },
    { "libm-tanhf", "libm scalar tanhf", CK_FUNC_TANH, libm_tanhf },
    { "hard-tanh", "hard tanh clip(x, -1, 1)", CK_FUNC_TANH, hard_tanh },
    { "softsign", "softsign x/(1+|x|)", CK_FUNC_TANH, softsign },
    { "schraudolph-tanh", "(e^2x-1)/(e^2x+1), e^x by Schraudolph's exponent-bit trick", CK_FUNC_TANH, schraudolph_tanh },
    { "pade-tanh", "Pade [3/2] tanh x(15+x^2)/(15+6x^2), clipped to [-1, 1]", CK_FUNC_TANH, pade_tanh },
};

size_t ck_zoo_count(void) { return sizeof zoo / sizeof zoo[0]; }

const ck_zoo_entry *ck_zoo_entry_at(size_t i) { return i < ck_zoo_count() ? &zoo[i] : NULL; }
