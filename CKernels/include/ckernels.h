/* GateKernels C API: vectorized sigmoid and tanh in three accuracy tiers, with runtime ISA dispatch.
 *
 * Accuracy contract (every tier, every ISA, every float input; proven by exhaustive sweeps):
 *   CK_PRECISE      <= 2 ulp          against double-precision exp/tanh rounded to float
 *   CK_FAST         <= 4 ulp
 *   CK_APPROXIMATE  <= 2e-4 absolute
 * ULP bounds hold wherever the true result is a normal float; sigmoid returns exactly 0 below
 * x = -87.3365 (where the true result is subnormal). In every tier: monotone non-decreasing,
 * sigmoid in [0, 1], tanh in [-1, 1]; NaN in gives NaN out; sigmoid(-inf) = 0, sigmoid(+inf) = 1,
 * sigmoid(0) = 0.5; tanh(+-inf) = +-1, tanh(+-0) = +-0, tanh(-x) == -tanh(x) bit for bit; both reach
 * their saturation values exactly; no NaN or inf for finite input. The results do not depend on the
 * caller's FTZ/DAZ setting (beyond subnormal results) and the kernels never change it. They assume
 * the default round-to-nearest mode.
 *
 * All functions are thread-safe. Buffers may have any alignment. */
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CK_PRECISE = 0, CK_FAST = 1, CK_APPROXIMATE = 2 } ck_tier;

typedef enum {
    CK_OK = 0,
    CK_ERR_NULL_POINTER,     /* a required pointer is NULL while its length is non-zero */
    CK_ERR_OVERLAP,          /* an output partly overlaps another buffer (exact aliasing y == x is allowed) */
    CK_ERR_INVALID_ARGUMENT, /* an unknown tier, or a length whose byte size overflows */
    CK_ERR_UNSUPPORTED       /* the requested ISA is not available on this CPU or build */
} ck_status;

typedef enum { CK_ISA_AUTO = 0, CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512, CK_ISA_NEON } ck_isa;

/* y[i] = 1 / (1 + e^-x[i]) for i < n. y == x (in place) is allowed; any other overlap returns
 * CK_ERR_OVERLAP and writes nothing. n == 0 is CK_OK. */
ck_status ck_sigmoid_f32(const float *x, float *y, size_t n, ck_tier tier);

/* y[i] = tanh(x[i]) for i < n; the same argument rules as ck_sigmoid_f32. */
ck_status ck_tanh_f32(const float *x, float *y, size_t n, ck_tier tier);

/* The same on a given instruction set, whatever the active one (CK_ISA_AUTO: the active one);
 * CK_ERR_UNSUPPORTED if this CPU lacks it. For tests and benchmarks that run every path. All ISAs
 * give bitwise identical results. */
ck_status ck_sigmoid_f32_isa(const float *x, float *y, size_t n, ck_tier tier, ck_isa isa);
ck_status ck_tanh_f32_isa(const float *x, float *y, size_t n, ck_tier tier, ck_isa isa);

/* Force an instruction set for every later call in this process (CK_ISA_AUTO: the widest this
 * CPU supports). CK_ERR_UNSUPPORTED, and no change, if the CPU or build lacks it.
 * At start-up the environment variable GATEKERNELS_ISA=scalar|avx2|avx512|neon|auto does the same. */
ck_status ck_set_isa(ck_isa isa);

/* The instruction set the kernels use now (never CK_ISA_AUTO). */
ck_isa ck_active_isa(void);

/* The widest instruction set this CPU and build support. */
ck_isa ck_best_isa(void);

/* Non-zero if this CPU and build can run `isa`. */
int ck_isa_supported(ck_isa isa);

/* How GATEKERNELS_ISA was applied at start-up: CK_OK when unset or honoured; CK_ERR_INVALID_ARGUMENT
 * for an unknown name, CK_ERR_UNSUPPORTED for an ISA this CPU lacks (the kernels then use the
 * best ISA, and the message is in ck_env_isa_message()). */
ck_status ck_env_isa_status(void);
const char *ck_env_isa_message(void);

/* "auto", "scalar", "avx2", "avx512", "neon"; "unknown" for anything else. */
const char *ck_isa_name(ck_isa isa);

/* A short English description of a status code. */
const char *ck_status_string(ck_status s);

#ifdef __cplusplus
}
#endif
#endif
