/* What the dispatcher and the per-ISA instances share. */
#ifndef CK_INTERNAL_H
#define CK_INTERNAL_H
#include <stddef.h>
#include <stdint.h>
#include "ckernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#define CK_X86 1
#else
#define CK_X86 0
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
#define CK_ARM64 1
#else
#define CK_ARM64 0
#endif

typedef void (*ck_unary_fn)(const float *x, float *y, size_t n);

/* The same on half-format bit patterns (bf16 or IEEE binary16), computed in float. */
typedef void (*ck_half_fn)(const uint16_t *x, uint16_t *y, size_t n);
typedef struct {
    ck_half_fn sigmoid[3];
    ck_half_fn tanh[3];
} ck_half_kernels;
/* y[i] = table[x[i]] for a table of 65,536 results (and one entry more, which gathers read) */
typedef void (*ck_lookup_fn)(const uint16_t *table, const uint16_t *x, uint16_t *y, size_t n);

/* Gate kernels over rows [r0, r1) of the batch that d describes; arguments already checked. */
typedef void (*ck_lstm_forward_fn)(const ck_lstm_desc *d, size_t r0, size_t r1, const float *z, const float *bias,
                                   const float *c_prev, float *c, float *h, float *ws);
typedef void (*ck_lstm_backward_fn)(const ck_lstm_desc *d, size_t r0, size_t r1, const float *dh,
                                    const float *dc_next, const float *ws, const float *c_prev, float *dz,
                                    float *dc_prev, float *db);
typedef void (*ck_gru_forward_fn)(const ck_gru_desc *d, size_t r0, size_t r1, const float *x, const float *hg,
                                  const float *h_prev, float *h, float *ws);
typedef void (*ck_gru_backward_fn)(const ck_gru_desc *d, size_t r0, size_t r1, const float *dh, const float *ws,
                                   const float *h_prev, float *dx, float *dhg, float *dh_prev);

/* The gate kernels above with the half-format tensors as bit patterns; arguments checked. */
typedef void (*ck_lstm_forward_half_fn)(const ck_lstm_desc *d, size_t r0, size_t r1, const uint16_t *z,
                                        const float *bias, const float *c_prev, float *c, uint16_t *h, float *ws);
typedef void (*ck_lstm_backward_half_fn)(const ck_lstm_desc *d, size_t r0, size_t r1, const uint16_t *dh,
                                         const float *dc_next, const float *ws, const float *c_prev, uint16_t *dz,
                                         float *dc_prev, float *db);
typedef void (*ck_gru_forward_half_fn)(const ck_gru_desc *d, size_t r0, size_t r1, const uint16_t *x,
                                       const uint16_t *hg, const uint16_t *h_prev, uint16_t *h, float *ws);
typedef void (*ck_gru_backward_half_fn)(const ck_gru_desc *d, size_t r0, size_t r1, const uint16_t *dh,
                                        const float *ws, const uint16_t *h_prev, uint16_t *dx, uint16_t *dhg,
                                        uint16_t *dh_prev);

/* One format's forward kernels on one ISA; tiers are indexed by ck_tier. */
typedef struct {
    ck_lstm_forward_half_fn lstm[3];
    ck_gru_forward_half_fn gru[3];
} ck_half_gate_forwards;

/* One format's kernels on one ISA. */
typedef struct {
    ck_half_gate_forwards forward;
    ck_lstm_backward_half_fn lstm_backward;
    ck_gru_backward_half_fn gru_backward;
} ck_half_gate_kernels;

/* One ISA's kernels; tiers are indexed by ck_tier. */
typedef struct {
    ck_unary_fn sigmoid[3];
    ck_unary_fn tanh[3];
    ck_lstm_forward_fn lstm_forward[3];
    ck_lstm_backward_fn lstm_backward; /* tier-independent: it uses the saved activations */
    ck_gru_forward_fn gru_forward[3];
    ck_gru_backward_fn gru_backward;
    ck_half_kernels bf16, f16;
    ck_lookup_fn half_lookup; /* what the public half-format entry points run, on tables of the above */
    ck_half_gate_kernels bf16_gates, f16_gates; /* the gate kernels with half-format tensors */
} ck_kernel_table;

extern const ck_kernel_table ck_table_scalar;
#if CK_X86
extern const ck_kernel_table ck_table_avx2;
extern const ck_kernel_table ck_table_avx512;
/* The AVX-512 bf16 kernels narrowing with AVX512-BF16's vcvtneps2bf16 (the table's use integer
 * rounding); the same bits, for CPUs that have it (ck_bf16_kernels chooses). */
extern const ck_half_kernels ck_bf16_avx512_native;
/* The AVX-512 bf16 gate forward kernels narrowing h with vcvtneps2bf16 (isa_avx512_bf16.c); the
 * same bits as the table's. The backward kernels have no such twin: bound by their stores, they
 * ran no faster with it (measured). */
extern const ck_half_gate_forwards ck_bf16_gate_forwards_avx512_native;
#endif
#if CK_ARM64
extern const ck_kernel_table ck_table_neon;
/* Whether this CPU has FEAT_BF16 (BFCVTN), as the OS reports it; 0 where the library cannot ask. */
int ck_cpu_has_bf16(void);
/* The NEON bf16 kernels narrowing with FEAT_BF16's BFCVTN (isa_neon.c), and the NEON bf16 gate
 * forwards narrowing h with it (isa_neon_bf16.c): the same bits as the table's, for CPUs that have
 * it, as the AVX-512 pair above. */
extern const ck_half_kernels ck_bf16_neon_native;
extern const ck_half_gate_forwards ck_bf16_gate_forwards_neon_native;
#endif

/* The kernels of `isa` (CK_ISA_AUTO: the active ISA, chosen on first use) in *t, or the status of
 * ck_set_isa(isa) if that fails (*t then untouched). */
ck_status ck_table(ck_isa isa, const ck_kernel_table **t);

/* The bf16 kernels of one ISA that narrow with the CPU's own instruction (above). */
typedef struct {
    const ck_half_kernels *activations;
    const ck_half_gate_forwards *gate_forwards;
} ck_bf16_native_kernels;

/* Those that go with table t, if this CPU has their instruction; else NULL. The one place that
 * rule is written: ck_bf16_kernels and ck_bf16_gate_forwards choose by it. */
const ck_bf16_native_kernels *ck_bf16_native(const ck_kernel_table *t);

/* The bf16 kernels ck_sigmoid_bf16_isa and ck_tanh_bf16_isa build their tables with for `isa`
 * (CK_ISA_AUTO: the active ISA), or NULL: ck_bf16_native's where there are, else ck_table's. */
const ck_half_kernels *ck_bf16_kernels(ck_isa isa);

/* The bf16 gate forward kernels the entry points run with table t: ck_bf16_native's where there
 * are, else t's. */
const ck_half_gate_forwards *ck_bf16_gate_forwards(const ck_kernel_table *t);

#endif
