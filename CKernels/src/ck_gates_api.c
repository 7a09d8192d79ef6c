/* The gate-update entry points, float and half-format: argument checks, then one ISA's kernel over
 * a range of rows. Each float function and its half-format twin are one function here with the
 * tensors' format as an argument. */
#include <math.h>
#include <stdint.h>

#include "ck_half_gates.h"

/* A buffer as an address range: `n` elements of `size` bytes from `p`. */
typedef struct { const void *p; size_t n, size; } span;

/* a * b, or SIZE_MAX when it overflows */
static size_t mul_sat(size_t a, size_t b) { return b && a > SIZE_MAX / b ? SIZE_MAX : a * b; }

/* Non-zero if a span's byte range wraps around the address space. */
static int span_too_big(span s)
{
    return s.n > SIZE_MAX / s.size || s.n * s.size > UINTPTR_MAX - (uintptr_t)s.p;
}

/* Each output (the first nout spans) must be disjoint from every other buffer, except the exact
 * aliases listed as pairs (same start address). Unused buffers have p == NULL. */
static int overlapping(const span *s, size_t ns, size_t nout, const void *const *alias, size_t nalias)
{
    for (size_t a = 0; a < nout; ++a)
        for (size_t b = 0; b < ns; ++b) {
            if (a == b || !s[a].p || !s[b].p)
                continue;
            uintptr_t pa = (uintptr_t)s[a].p, pb = (uintptr_t)s[b].p;
            if (!(pa < pb + s[b].n * s[b].size && pb < pa + s[a].n * s[a].size))
                continue;
            int allowed = 0;
            for (size_t k = 0; k + 1 < nalias; k += 2)
                allowed |= s[a].p == s[b].p && ((alias[k] == s[a].p && alias[k + 1] == s[b].p) ||
                                                (alias[k] == s[b].p && alias[k + 1] == s[a].p));
            if (!allowed)
                return 1;
        }
    return 0;
}

/* Byte sizes that overflow, then overlaps; the first `nout` spans are the outputs. */
static ck_status check_spans(const span *s, size_t ns, size_t nout, const void *const *alias, size_t nalias)
{
    for (size_t k = 0; k < ns; ++k)
        if (s[k].p && (s[k].n == SIZE_MAX || span_too_big(s[k])))
            return CK_ERR_INVALID_ARGUMENT;
    return overlapping(s, ns, nout, alias, nalias) ? CK_ERR_OVERLAP : CK_OK;
}

/* The checks every gate entry point starts with, in the order of their statuses: the descriptor
 * (`desc`, its check's status), the tensors' format, the required buffers (`required`: all
 * non-NULL), the row range, the ISA. On CK_OK, *t is the ISA's kernel table. */
static ck_status prologue(ck_status desc, ck_tensor_format fmt, int required, size_t batch, size_t row_begin,
                          size_t row_end, ck_isa isa, const ck_kernel_table **t)
{
    if (desc != CK_OK)
        return desc;
    if (fmt == CK_TENSOR_INVALID)
        return CK_ERR_INVALID_ARGUMENT;
    if (!required)
        return CK_ERR_NULL_POINTER;
    if (!(row_begin <= row_end && row_end <= batch))
        return CK_ERR_INVALID_ARGUMENT;
    return ck_table(isa, t);
}

/* Bytes per element of a tensor in `fmt`. */
static size_t tensor_size(ck_tensor_format fmt) { return fmt == CK_TENSOR_F32 ? sizeof(float) : sizeof(uint16_t); }

/* The half-format gate kernels of `fmt` (not CK_TENSOR_F32) in the table t. */
static const ck_half_gate_kernels *half_gates(const ck_kernel_table *t, ck_tensor_format fmt)
{
    return fmt == CK_TENSOR_BF16 ? &t->bf16_gates : &t->f16_gates;
}

const ck_half_gate_forwards *ck_bf16_gate_forwards(const ck_kernel_table *t)
{
    const ck_bf16_native_kernels *native = ck_bf16_native(t);
    return native ? native->gate_forwards : &t->bf16_gates.forward;
}

/* The half-format forward kernels of `fmt` (not CK_TENSOR_F32) that run with the table t. */
static const ck_half_gate_forwards *half_forwards(const ck_kernel_table *t, ck_tensor_format fmt)
{
    return fmt == CK_TENSOR_BF16 ? ck_bf16_gate_forwards(t) : &t->f16_gates.forward;
}

enum { F = sizeof(float) };

ck_tensor_format ck_half_tensor_format(ck_half_format format)
{
    return format == CK_BF16 || format == CK_F16 ? (ck_tensor_format)format : CK_TENSOR_INVALID;
}

/* ---- LSTM -------------------------------------------------------------------------------------- */

static ck_status check_lstm_desc(const ck_lstm_desc *d)
{
    if (!d)
        return CK_ERR_NULL_POINTER;
    if (d->batch == 0 || d->hidden == 0 || (unsigned)d->tier > CK_APPROXIMATE ||
        (d->order != CK_GATES_IFGO && d->order != CK_GATES_ICFO) || !(d->cell_clip >= 0.0f) ||
        isnan(d->forget_bias) || d->hidden > SIZE_MAX / 5)
        return CK_ERR_INVALID_ARGUMENT;
    if (d->z_stride != 0 && d->z_stride < 4 * d->hidden)
        return CK_ERR_INVALID_ARGUMENT;
    if (mul_sat(d->batch, 5 * d->hidden) == SIZE_MAX)
        return CK_ERR_INVALID_ARGUMENT;
    return CK_OK;
}

/* Elements spanned by Z: (B - 1) rows of z_stride, then 4H. */
static size_t lstm_z_floats(const ck_lstm_desc *d)
{
    size_t zs = d->z_stride ? d->z_stride : 4 * d->hidden;
    size_t rows = mul_sat(d->batch - 1, zs);
    return rows > SIZE_MAX - 4 * d->hidden ? SIZE_MAX : rows + 4 * d->hidden;
}

size_t ck_lstm_workspace_floats(const ck_lstm_desc *d)
{
    return check_lstm_desc(d) == CK_OK ? d->batch * 5 * d->hidden : 0;
}

static ck_status lstm_forward(const ck_lstm_desc *d, ck_tensor_format fmt, size_t row_begin, size_t row_end,
                              ck_isa isa, const void *z, const float *bias, const float *c_prev, float *c, void *h,
                              float *workspace)
{
    const ck_kernel_table *t;
    ck_status st = prologue(check_lstm_desc(d), fmt, z && c_prev && c && h, d ? d->batch : 0, row_begin, row_end,
                            isa, &t);
    if (st != CK_OK)
        return st;
    const size_t BH = d->batch * d->hidden, e = tensor_size(fmt);
    span s[] = { { c, BH, F }, { h, BH, e }, { workspace, 5 * BH, F },
                 { z, lstm_z_floats(d), e }, { bias, bias ? 4 * d->hidden : 0, F }, { c_prev, BH, F } };
    /* the workspace may start at a float Z when Z is dense: its gate section has Z's layout, and
     * each element is read before it is overwritten */
    const int dense = fmt == CK_TENSOR_F32 && (d->z_stride == 0 || d->z_stride == 4 * d->hidden);
    const void *alias[] = { c, c_prev, workspace, dense ? z : NULL };
    st = check_spans(s, sizeof s / sizeof s[0], 3, alias, 4);
    if (st != CK_OK || row_begin == row_end)
        return st;
    if (fmt == CK_TENSOR_F32)
        t->lstm_forward[d->tier](d, row_begin, row_end, z, bias, c_prev, c, h, workspace);
    else
        half_forwards(t, fmt)->lstm[d->tier](d, row_begin, row_end, z, bias, c_prev, c, h, workspace);
    return CK_OK;
}

ck_status ck_lstm_forward_rows(const ck_lstm_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                               const float *z, const float *bias, const float *c_prev, float *c, float *h,
                               float *workspace)
{
    return lstm_forward(d, CK_TENSOR_F32, row_begin, row_end, isa, z, bias, c_prev, c, h, workspace);
}

ck_status ck_lstm_forward_half_rows(const ck_lstm_desc *d, ck_half_format format, size_t row_begin, size_t row_end,
                                    ck_isa isa, const uint16_t *z, const float *bias, const float *c_prev, float *c,
                                    uint16_t *h, float *workspace)
{
    return lstm_forward(d, ck_half_tensor_format(format), row_begin, row_end, isa, z, bias, c_prev, c, h, workspace);
}

ck_status ck_lstm_forward(const ck_lstm_desc *d, const float *z, const float *bias, const float *c_prev,
                          float *c, float *h, float *workspace)
{
    return ck_lstm_forward_rows(d, 0, d ? d->batch : 0, CK_ISA_AUTO, z, bias, c_prev, c, h, workspace);
}

ck_status ck_lstm_forward_half(const ck_lstm_desc *d, ck_half_format format, const uint16_t *z, const float *bias,
                               const float *c_prev, float *c, uint16_t *h, float *workspace)
{
    return ck_lstm_forward_half_rows(d, format, 0, d ? d->batch : 0, CK_ISA_AUTO, z, bias, c_prev, c, h, workspace);
}

ck_status ck_lstm_backward_any_rows(const ck_lstm_desc *d, ck_tensor_format fmt, size_t row_begin, size_t row_end,
                                    ck_isa isa, const void *dh, const float *dc_next, const float *workspace,
                                    const float *c_prev, void *dz, float *dc_prev, float *db)
{
    const ck_kernel_table *t;
    ck_status st = prologue(check_lstm_desc(d), fmt, dh && workspace && c_prev && dz && dc_prev, d ? d->batch : 0,
                            row_begin, row_end, isa, &t);
    if (st != CK_OK)
        return st;
    const size_t BH = d->batch * d->hidden, e = tensor_size(fmt);
    /* a float dz == workspace covers only the gate section: compare dz with that section */
    const int in_ws = fmt == CK_TENSOR_F32 && dz == workspace;
    span s[] = { { dz, 4 * BH, e }, { dc_prev, BH, F }, { db, db ? 4 * d->hidden : 0, F },
                 { dh, BH, e }, { dc_next, dc_next ? BH : 0, F }, { c_prev, BH, F },
                 { in_ws ? NULL : workspace, 5 * BH, F }, { in_ws ? workspace + 4 * BH : NULL, BH, F } };
    const void *alias[] = { dc_prev, fmt == CK_TENSOR_F32 ? dh : NULL, dc_prev, dc_next, dc_prev, c_prev };
    st = check_spans(s, sizeof s / sizeof s[0], 3, alias, 6);
    if (st != CK_OK || row_begin == row_end)
        return st;
    if (fmt == CK_TENSOR_F32)
        t->lstm_backward(d, row_begin, row_end, dh, dc_next, workspace, c_prev, dz, dc_prev, db);
    else
        half_gates(t, fmt)->lstm_backward(d, row_begin, row_end, dh, dc_next, workspace, c_prev, dz, dc_prev, db);
    return CK_OK;
}

ck_status ck_lstm_backward_rows(const ck_lstm_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                                const float *dh, const float *dc_next, const float *workspace,
                                const float *c_prev, float *dz, float *dc_prev, float *db)
{
    return ck_lstm_backward_any_rows(d, CK_TENSOR_F32, row_begin, row_end, isa, dh, dc_next, workspace, c_prev, dz,
                                     dc_prev, db);
}

ck_status ck_lstm_backward_half_rows(const ck_lstm_desc *d, ck_half_format format, size_t row_begin,
                                     size_t row_end, ck_isa isa, const uint16_t *dh, const float *dc_next,
                                     const float *workspace, const float *c_prev, uint16_t *dz, float *dc_prev,
                                     float *db)
{
    return ck_lstm_backward_any_rows(d, ck_half_tensor_format(format), row_begin, row_end, isa, dh, dc_next, workspace,
                                     c_prev, dz, dc_prev, db);
}

ck_status ck_lstm_backward(const ck_lstm_desc *d, const float *dh, const float *dc_next, const float *workspace,
                           const float *c_prev, float *dz, float *dc_prev, float *db)
{
    return ck_lstm_backward_rows(d, 0, d ? d->batch : 0, CK_ISA_AUTO, dh, dc_next, workspace, c_prev, dz,
                                 dc_prev, db);
}

ck_status ck_lstm_backward_half(const ck_lstm_desc *d, ck_half_format format, const uint16_t *dh,
                                const float *dc_next, const float *workspace, const float *c_prev, uint16_t *dz,
                                float *dc_prev, float *db)
{
    return ck_lstm_backward_half_rows(d, format, 0, d ? d->batch : 0, CK_ISA_AUTO, dh, dc_next, workspace, c_prev,
                                      dz, dc_prev, db);
}

/* ---- GRU --------------------------------------------------------------------------------------- */

static ck_status check_gru_desc(const ck_gru_desc *d)
{
    if (!d)
        return CK_ERR_NULL_POINTER;
    if (d->batch == 0 || d->hidden == 0 || (unsigned)d->tier > CK_APPROXIMATE || d->hidden > SIZE_MAX / 4 ||
        mul_sat(d->batch, 4 * d->hidden) == SIZE_MAX)
        return CK_ERR_INVALID_ARGUMENT;
    return CK_OK;
}

size_t ck_gru_workspace_floats(const ck_gru_desc *d)
{
    return check_gru_desc(d) == CK_OK ? d->batch * 4 * d->hidden : 0;
}

static ck_status gru_forward(const ck_gru_desc *d, ck_tensor_format fmt, size_t row_begin, size_t row_end,
                             ck_isa isa, const void *x, const void *hg, const void *h_prev, void *h, float *workspace)
{
    const ck_kernel_table *t;
    ck_status st = prologue(check_gru_desc(d), fmt, x && hg && h_prev && h, d ? d->batch : 0, row_begin, row_end,
                            isa, &t);
    if (st != CK_OK)
        return st;
    const size_t BH = d->batch * d->hidden, e = tensor_size(fmt);
    span s[] = { { h, BH, e }, { workspace, 4 * BH, F }, { x, 3 * BH, e }, { hg, 3 * BH, e }, { h_prev, BH, e } };
    const void *alias[] = { h, h_prev };
    st = check_spans(s, sizeof s / sizeof s[0], 2, alias, 2);
    if (st != CK_OK || row_begin == row_end)
        return st;
    if (fmt == CK_TENSOR_F32)
        t->gru_forward[d->tier](d, row_begin, row_end, x, hg, h_prev, h, workspace);
    else
        half_forwards(t, fmt)->gru[d->tier](d, row_begin, row_end, x, hg, h_prev, h, workspace);
    return CK_OK;
}

ck_status ck_gru_forward_rows(const ck_gru_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                              const float *x, const float *hg, const float *h_prev, float *h, float *workspace)
{
    return gru_forward(d, CK_TENSOR_F32, row_begin, row_end, isa, x, hg, h_prev, h, workspace);
}

ck_status ck_gru_forward_half_rows(const ck_gru_desc *d, ck_half_format format, size_t row_begin, size_t row_end,
                                   ck_isa isa, const uint16_t *x, const uint16_t *hg, const uint16_t *h_prev,
                                   uint16_t *h, float *workspace)
{
    return gru_forward(d, ck_half_tensor_format(format), row_begin, row_end, isa, x, hg, h_prev, h, workspace);
}

ck_status ck_gru_forward(const ck_gru_desc *d, const float *x, const float *hg, const float *h_prev, float *h,
                         float *workspace)
{
    return ck_gru_forward_rows(d, 0, d ? d->batch : 0, CK_ISA_AUTO, x, hg, h_prev, h, workspace);
}

ck_status ck_gru_forward_half(const ck_gru_desc *d, ck_half_format format, const uint16_t *x, const uint16_t *hg,
                              const uint16_t *h_prev, uint16_t *h, float *workspace)
{
    return ck_gru_forward_half_rows(d, format, 0, d ? d->batch : 0, CK_ISA_AUTO, x, hg, h_prev, h, workspace);
}

static ck_status gru_backward(const ck_gru_desc *d, ck_tensor_format fmt, size_t row_begin, size_t row_end,
                              ck_isa isa, const void *dh, const float *workspace, const void *h_prev, void *dx,
                              void *dhg, void *dh_prev)
{
    const ck_kernel_table *t;
    ck_status st = prologue(check_gru_desc(d), fmt, dh && workspace && h_prev && dx && dhg && dh_prev,
                            d ? d->batch : 0, row_begin, row_end, isa, &t);
    if (st != CK_OK)
        return st;
    const size_t BH = d->batch * d->hidden, e = tensor_size(fmt);
    /* a float dx == workspace covers only the gate section: compare dx with that section */
    const int in_ws = fmt == CK_TENSOR_F32 && dx == workspace;
    span s[] = { { dx, 3 * BH, e }, { dhg, 3 * BH, e }, { dh_prev, BH, e }, { dh, BH, e }, { h_prev, BH, e },
                 { in_ws ? NULL : workspace, 4 * BH, F }, { in_ws ? workspace + 3 * BH : NULL, BH, F } };
    const void *alias[] = { dh_prev, dh, dh_prev, h_prev };
    st = check_spans(s, sizeof s / sizeof s[0], 3, alias, 4);
    if (st != CK_OK || row_begin == row_end)
        return st;
    if (fmt == CK_TENSOR_F32)
        t->gru_backward(d, row_begin, row_end, dh, workspace, h_prev, dx, dhg, dh_prev);
    else
        half_gates(t, fmt)->gru_backward(d, row_begin, row_end, dh, workspace, h_prev, dx, dhg, dh_prev);
    return CK_OK;
}

ck_status ck_gru_backward_rows(const ck_gru_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                               const float *dh, const float *workspace, const float *h_prev, float *dx,
                               float *dhg, float *dh_prev)
{
    return gru_backward(d, CK_TENSOR_F32, row_begin, row_end, isa, dh, workspace, h_prev, dx, dhg, dh_prev);
}

ck_status ck_gru_backward_half_rows(const ck_gru_desc *d, ck_half_format format, size_t row_begin, size_t row_end,
                                    ck_isa isa, const uint16_t *dh, const float *workspace, const uint16_t *h_prev,
                                    uint16_t *dx, uint16_t *dhg, uint16_t *dh_prev)
{
    return gru_backward(d, ck_half_tensor_format(format), row_begin, row_end, isa, dh, workspace, h_prev, dx, dhg,
                        dh_prev);
}

ck_status ck_gru_backward(const ck_gru_desc *d, const float *dh, const float *workspace, const float *h_prev,
                          float *dx, float *dhg, float *dh_prev)
{
    return ck_gru_backward_rows(d, 0, d ? d->batch : 0, CK_ISA_AUTO, dh, workspace, h_prev, dx, dhg, dh_prev);
}

ck_status ck_gru_backward_half(const ck_gru_desc *d, ck_half_format format, const uint16_t *dh,
                               const float *workspace, const uint16_t *h_prev, uint16_t *dx, uint16_t *dhg,
                               uint16_t *dh_prev)
{
    return ck_gru_backward_half_rows(d, format, 0, d ? d->batch : 0, CK_ISA_AUTO, dh, workspace, h_prev, dx, dhg,
                                     dh_prev);
}
