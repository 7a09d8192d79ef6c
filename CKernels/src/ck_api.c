/* The public entry points: argument checks, then the active ISA's kernel. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ck_internal.h"

/* ---- ISA selection ---------------------------------------------------------------------- */

int ck_isa_supported(ck_isa isa)
{
    switch (isa) {
    case CK_ISA_AUTO:
    case CK_ISA_SCALAR:
        return 1;
#if CK_X86
    case CK_ISA_AVX2:
        /* F16C for the binary16 conversions: every CPU with AVX2 and FMA has it */
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    case CK_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#endif
#if CK_ARM64
    case CK_ISA_NEON:
        return 1; /* Advanced SIMD with FMA is part of every AArch64 CPU */
#endif
    default:
        return 0;
    }
}

ck_isa ck_best_isa(void)
{
    static const ck_isa widest_first[] = { CK_ISA_AVX512, CK_ISA_AVX2, CK_ISA_NEON };
    for (size_t i = 0; i < sizeof widest_first / sizeof widest_first[0]; ++i)
        if (ck_isa_supported(widest_first[i]))
            return widest_first[i];
    return CK_ISA_SCALAR;
}

static const ck_kernel_table *table_for(ck_isa isa)
{
    switch (isa) {
#if CK_X86
    case CK_ISA_AVX2: return &ck_table_avx2;
    case CK_ISA_AVX512: return &ck_table_avx512;
#endif
#if CK_ARM64
    case CK_ISA_NEON: return &ck_table_neon;
#endif
    default: return &ck_table_scalar;
    }
}

static _Atomic(ck_isa) active_isa = CK_ISA_AUTO;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static ck_status env_status = CK_OK;
static char env_message[160];

static void init_from_environment(void)
{
    ck_isa isa = ck_best_isa();
    const char *want = getenv("GATEKERNELS_ISA");
    if (want && *want) {
        static const ck_isa named[] = { CK_ISA_AUTO, CK_ISA_SCALAR, CK_ISA_AVX2, CK_ISA_AVX512, CK_ISA_NEON };
        ck_isa found = (ck_isa)-1;
        for (size_t i = 0; i < sizeof named / sizeof named[0]; ++i)
            if (strcasecmp(want, ck_isa_name(named[i])) == 0) /* any case, as the CLI */
                found = named[i];
        if (found == (ck_isa)-1) {
            env_status = CK_ERR_INVALID_ARGUMENT;
            snprintf(env_message, sizeof env_message,
                     "GATEKERNELS_ISA=%.40s is not one of auto, scalar, avx2, avx512, neon; using %s", want,
                     ck_isa_name(isa));
        } else if (!ck_isa_supported(found)) {
            env_status = CK_ERR_UNSUPPORTED;
            snprintf(env_message, sizeof env_message, "GATEKERNELS_ISA=%s is not supported by this CPU; using %s",
                     want, ck_isa_name(isa));
        } else if (found != CK_ISA_AUTO) {
            isa = found;
        }
        if (env_status != CK_OK)
            fprintf(stderr, "GateKernels: %s\n", env_message);
    }
    atomic_store(&active_isa, isa);
}

static void ensure_init(void) { pthread_once(&init_once, init_from_environment); }

ck_status ck_env_isa_status(void) { ensure_init(); return env_status; }
const char *ck_env_isa_message(void) { ensure_init(); return env_message; }

/* The one rule for an ISA argument: a value outside ck_isa is invalid; a valid one this CPU or
 * build lacks is unsupported. */
static ck_status isa_status(ck_isa isa)
{
    if ((unsigned)isa > CK_ISA_NEON)
        return CK_ERR_INVALID_ARGUMENT;
    return ck_isa_supported(isa) ? CK_OK : CK_ERR_UNSUPPORTED;
}

ck_status ck_set_isa(ck_isa isa)
{
    ensure_init();
    ck_status st = isa_status(isa);
    if (st == CK_OK)
        atomic_store(&active_isa, isa == CK_ISA_AUTO ? ck_best_isa() : isa);
    return st;
}

ck_isa ck_active_isa(void)
{
    ensure_init();
    return atomic_load_explicit(&active_isa, memory_order_relaxed);
}


ck_status ck_table(ck_isa isa, const ck_kernel_table **t)
{
    ck_status st = isa_status(isa);
    if (st != CK_OK)
        return st;
    *t = table_for(isa == CK_ISA_AUTO ? ck_active_isa() : isa);
    return CK_OK;
}

static const ck_half_kernels *bf16_of(const ck_kernel_table *t)
{
#if CK_X86
    if (t == &ck_table_avx512 && __builtin_cpu_supports("avx512bf16"))
        return &ck_bf16_avx512_native;
#endif
    return &t->bf16;
}

const ck_half_kernels *ck_bf16_kernels(ck_isa isa)
{
    const ck_kernel_table *t;
    return ck_table(isa, &t) == CK_OK ? bf16_of(t) : NULL;
}

const char *ck_isa_name(ck_isa isa)
{
    switch (isa) {
    case CK_ISA_AUTO: return "auto";
    case CK_ISA_SCALAR: return "scalar";
    case CK_ISA_AVX2: return "avx2";
    case CK_ISA_AVX512: return "avx512";
    case CK_ISA_NEON: return "neon";
    default: return "unknown";
    }
}

const char *ck_status_string(ck_status s)
{
    switch (s) {
    case CK_OK: return "ok";
    case CK_ERR_NULL_POINTER: return "a required pointer is NULL";
    case CK_ERR_OVERLAP: return "an output buffer partly overlaps another buffer";
    case CK_ERR_INVALID_ARGUMENT: return "invalid argument";
    case CK_ERR_UNSUPPORTED: return "not supported on this CPU or build";
    default: return "unknown status";
    }
}

/* ---- argument checks --------------------------------------------------------------------- */

/* The checks of a unary call on n elements of `size` bytes each; x and y overlap unless disjoint
 * or identical */
static ck_status check_unary(const void *x, const void *y, size_t n, size_t size, ck_tier tier)
{
    if ((unsigned)tier > CK_APPROXIMATE)
        return CK_ERR_INVALID_ARGUMENT;
    if (n == 0)
        return CK_OK;
    if (!x || !y)
        return CK_ERR_NULL_POINTER;
    uintptr_t px = (uintptr_t)x, py = (uintptr_t)y;
    if (n > (UINTPTR_MAX - px) / size || n > (UINTPTR_MAX - py) / size)
        return CK_ERR_INVALID_ARGUMENT;
    if (px != py && px < py + n * size && py < px + n * size)
        return CK_ERR_OVERLAP;
    return CK_OK;
}

ck_status ck_check_unary_f32(const float *x, const float *y, size_t n, ck_tier tier)
{
    return check_unary(x, y, n, sizeof(float), tier);
}

ck_status ck_check_unary_half(const uint16_t *x, const uint16_t *y, size_t n, ck_tier tier)
{
    return check_unary(x, y, n, sizeof(uint16_t), tier);
}

static ck_status run_unary(int is_tanh, const float *x, float *y, size_t n, ck_tier tier, ck_isa isa)
{
    const ck_kernel_table *t;
    ck_status st = ck_table(isa, &t);
    if (st == CK_OK)
        st = ck_check_unary_f32(x, y, n, tier);
    if (st == CK_OK && n)
        (is_tanh ? t->tanh : t->sigmoid)[tier](x, y, n);
    return st;
}

ck_status ck_sigmoid_f32_isa(const float *x, float *y, size_t n, ck_tier tier, ck_isa isa)
{
    return run_unary(0, x, y, n, tier, isa);
}

ck_status ck_tanh_f32_isa(const float *x, float *y, size_t n, ck_tier tier, ck_isa isa)
{
    return run_unary(1, x, y, n, tier, isa);
}

ck_status ck_sigmoid_f32(const float *x, float *y, size_t n, ck_tier tier)
{
    return ck_sigmoid_f32_isa(x, y, n, tier, CK_ISA_AUTO);
}

ck_status ck_tanh_f32(const float *x, float *y, size_t n, ck_tier tier)
{
    return ck_tanh_f32_isa(x, y, n, tier, CK_ISA_AUTO);
}

/* ---- half-format storage ------------------------------------------------------------------ */

static ck_status run_half(int bf16, int is_tanh, const uint16_t *x, uint16_t *y, size_t n, ck_tier tier,
                          ck_isa isa)
{
    const ck_kernel_table *t;
    ck_status st = ck_table(isa, &t);
    if (st == CK_OK)
        st = ck_check_unary_half(x, y, n, tier);
    if (st == CK_OK && n) {
        const ck_half_kernels *k = bf16 ? bf16_of(t) : &t->f16;
        (is_tanh ? k->tanh : k->sigmoid)[tier](x, y, n);
    }
    return st;
}

ck_status ck_sigmoid_bf16_isa(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, ck_isa isa)
{
    return run_half(1, 0, x, y, n, tier, isa);
}

ck_status ck_tanh_bf16_isa(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, ck_isa isa)
{
    return run_half(1, 1, x, y, n, tier, isa);
}

ck_status ck_sigmoid_f16_isa(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, ck_isa isa)
{
    return run_half(0, 0, x, y, n, tier, isa);
}

ck_status ck_tanh_f16_isa(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, ck_isa isa)
{
    return run_half(0, 1, x, y, n, tier, isa);
}

ck_status ck_sigmoid_bf16(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier)
{
    return ck_sigmoid_bf16_isa(x, y, n, tier, CK_ISA_AUTO);
}

ck_status ck_tanh_bf16(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier)
{
    return ck_tanh_bf16_isa(x, y, n, tier, CK_ISA_AUTO);
}

ck_status ck_sigmoid_f16(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier)
{
    return ck_sigmoid_f16_isa(x, y, n, tier, CK_ISA_AUTO);
}

ck_status ck_tanh_f16(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier)
{
    return ck_tanh_f16_isa(x, y, n, tier, CK_ISA_AUTO);
}
