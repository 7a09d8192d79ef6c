/* The public entry points: argument checks, then the active ISA's kernel (for the half-format
 * activations, a lookup in the table of its results). */
#include <fenv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ck_internal.h"
#if CK_ARM64 && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP2_BF16
#define HWCAP2_BF16 (1UL << 14) /* Linux's arch/arm64/include/uapi/asm/hwcap.h, for older headers */
#endif
#elif CK_ARM64 && defined(__APPLE__)
#include <sys/types.h>
#include <sys/sysctl.h>
#endif

/* ---- ISA selection ---------------------------------------------------------------------- */

static int always(void) { return 1; }
#if CK_X86
/* F16C for the binary16 conversions: every CPU with AVX2 and FMA has it */
static int has_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
static int has_avx512(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
#endif
#if CK_ARM64
int ck_cpu_has_bf16(void)
{
    static _Atomic int known = -1; /* asked once: on Apple a system call */
    int has = atomic_load_explicit(&known, memory_order_relaxed);
    if (has < 0) {
#if defined(__linux__)
        has = (getauxval(AT_HWCAP2) & HWCAP2_BF16) != 0;
#elif defined(__APPLE__)
        int feature = 0;
        size_t size = sizeof feature;
        has = sysctlbyname("hw.optional.arm.FEAT_BF16", &feature, &size, NULL, 0) == 0 && feature != 0;
#else
        has = 0;
#endif
        atomic_store_explicit(&known, has, memory_order_relaxed);
    }
    return has;
}
#endif

/* The names of CK_ISA_LIST, indexed by ck_isa. */
static const char *const isa_names[CK_ISA_COUNT] = {
#define CK_ISA_NAME(id, name) #name,
    CK_ISA_LIST(CK_ISA_NAME)
#undef CK_ISA_NAME
};

/* Per ISA of CK_ISA_LIST: its kernels and whether this CPU runs them. A row left out (an ISA of
 * another architecture) is unsupported in this build. CK_ISA_AUTO has no kernels of its own: it
 * stands for the active ISA. */
static const struct {
    const ck_kernel_table *table;
    int (*supported)(void);
} isas[CK_ISA_COUNT] = {
    [CK_ISA_AUTO] = { NULL, always },
    [CK_ISA_SCALAR] = { &ck_table_scalar, always },
#if CK_X86
    [CK_ISA_AVX2] = { &ck_table_avx2, has_avx2 },
    [CK_ISA_AVX512] = { &ck_table_avx512, has_avx512 },
#endif
#if CK_ARM64
    [CK_ISA_NEON] = { &ck_table_neon, always }, /* Advanced SIMD with FMA: every AArch64 CPU */
#endif
};

static int valid_isa(ck_isa isa) { return (unsigned)isa < CK_ISA_COUNT; }

int ck_isa_supported(ck_isa isa)
{
    return valid_isa(isa) && isas[isa].supported && isas[isa].supported();
}

ck_isa ck_best_isa(void)
{
    for (int i = CK_ISA_COUNT - 1; i > CK_ISA_SCALAR; --i)
        if (ck_isa_supported((ck_isa)i))
            return (ck_isa)i;
    return CK_ISA_SCALAR;
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
        ck_isa found = CK_ISA_COUNT;
        for (int i = 0; i < CK_ISA_COUNT; ++i)
            if (strcasecmp(want, isa_names[i]) == 0) /* any case, as the CLI */
                found = (ck_isa)i;
        if (found == CK_ISA_COUNT) {
            char names[64] = "";
            for (int i = 0; i < CK_ISA_COUNT; ++i)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", isa_names[i]);
            env_status = CK_ERR_INVALID_ARGUMENT;
            snprintf(env_message, sizeof env_message, "GATEKERNELS_ISA=%.40s is not one of %s; using %s", want, names,
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
    if (!valid_isa(isa))
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

/* The ISA a call with a valid, supported `isa` runs on. */
static ck_isa running_isa(ck_isa isa) { return isa == CK_ISA_AUTO ? ck_active_isa() : isa; }

ck_status ck_table(ck_isa isa, const ck_kernel_table **t)
{
    ck_status st = isa_status(isa);
    if (st != CK_OK)
        return st;
    *t = isas[running_isa(isa)].table;
    return CK_OK;
}

/* The ISA with native bf16 kernels in this build, and whether this CPU runs them. */
typedef struct {
    const ck_kernel_table *table;
    int (*supported)(void);
    ck_bf16_native_kernels kernels;
} native_bf16_isa;
#if CK_X86
static int has_avx512bf16(void) { return __builtin_cpu_supports("avx512bf16"); }
static const native_bf16_isa native_bf16 = { &ck_table_avx512, has_avx512bf16,
                                             { &ck_bf16_avx512_native, &ck_bf16_gate_forwards_avx512_native } };
#elif CK_ARM64
static const native_bf16_isa native_bf16 = { &ck_table_neon, ck_cpu_has_bf16,
                                             { &ck_bf16_neon_native, &ck_bf16_gate_forwards_neon_native } };
#endif

const ck_bf16_native_kernels *ck_bf16_native(const ck_kernel_table *t)
{
#if CK_X86 || CK_ARM64
    if (t == native_bf16.table && native_bf16.supported())
        return &native_bf16.kernels;
#endif
    (void)t;
    return NULL;
}

static const ck_half_kernels *bf16_of(const ck_kernel_table *t)
{
    const ck_bf16_native_kernels *native = ck_bf16_native(t);
    return native ? native->activations : &t->bf16;
}

const ck_half_kernels *ck_bf16_kernels(ck_isa isa)
{
    const ck_kernel_table *t;
    return ck_table(isa, &t) == CK_OK ? bf16_of(t) : NULL;
}

const char *ck_isa_name(ck_isa isa)
{
    return valid_isa(isa) ? isa_names[isa] : "unknown";
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

/* ---- half-format storage ------------------------------------------------------------------
 * A half format has 65,536 inputs. The first call of a function x tier x format on an ISA runs that
 * ISA's half kernel over all of them into a table (128 KiB, kept for the life of the process), and
 * every call looks its results up: in cache, faster than computing them, and the same bits. */

enum { HALF_INPUTS = 65536 };
static _Atomic(uint16_t *) half_tables[CK_ISA_COUNT][2][2][3]; /* [ISA][bf16][tanh][tier] */

/* The table of `kernel`, built on first use, or NULL if there is no memory for it. */
static const uint16_t *half_table(ck_isa isa, int bf16, int is_tanh, ck_tier tier, ck_half_fn kernel)
{
    _Atomic(uint16_t *) *slot = &half_tables[isa][bf16][is_tanh][tier];
    uint16_t *table = atomic_load_explicit(slot, memory_order_acquire);
    if (table)
        return table;
    table = malloc((HALF_INPUTS + 1) * sizeof *table); /* + 1: a gather lane reads 4 bytes */
    if (!table)
        return NULL;
    for (uint32_t i = 0; i < HALF_INPUTS; ++i)
        table[i] = (uint16_t)i;
    table[HALF_INPUTS] = 0;
    /* Built in the default floating-point environment: the caller's FTZ/DAZ setting does not get into
     * the table, and the NaN inputs' INVALID flag does not get into the caller's flags or traps. */
    fenv_t caller;
    fegetenv(&caller);
    fesetenv(FE_DFL_ENV);
    kernel(table, table, HALF_INPUTS);
    fesetenv(&caller);
    uint16_t *first = NULL;
    if (!atomic_compare_exchange_strong_explicit(slot, &first, table, memory_order_acq_rel, memory_order_acquire)) {
        free(table); /* another thread published the same bits first */
        table = first;
    }
    return table;
}

static ck_status run_half(int bf16, int is_tanh, const uint16_t *x, uint16_t *y, size_t n, ck_tier tier,
                          ck_isa isa)
{
    ck_status st = isa_status(isa);
    if (st == CK_OK)
        st = ck_check_unary_half(x, y, n, tier);
    if (st == CK_OK && n) {
        const ck_isa running = running_isa(isa);
        const ck_kernel_table *t = isas[running].table;
        const ck_half_kernels *k = bf16 ? bf16_of(t) : &t->f16;
        ck_half_fn kernel = (is_tanh ? k->tanh : k->sigmoid)[tier];
        const uint16_t *table = half_table(running, bf16, is_tanh, tier, kernel);
        if (table)
            t->half_lookup(table, x, y, n);
        else
            kernel(x, y, n);
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
