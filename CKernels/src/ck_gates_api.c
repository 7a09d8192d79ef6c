/* The gate-update entry points: argument checks, then one ISA's kernel over a range of rows. */
#include <math.h>
#include <stdint.h>

#include "ck_internal.h"

/* A buffer as an address range: `n` floats from `p`. */
typedef struct { const float *p; size_t n; } span;

/* a * b, or SIZE_MAX when it overflows */
static size_t mul_sat(size_t a, size_t b) { return b && a > SIZE_MAX / b ? SIZE_MAX : a * b; }

/* Non-zero if a span's byte range wraps around the address space. */
static int span_too_big(span s)
{
    return s.n > SIZE_MAX / sizeof(float) || s.n * sizeof(float) > UINTPTR_MAX - (uintptr_t)s.p;
}

/* Each output (the first nout spans) must be disjoint from every other buffer, except the exact
 * aliases listed as pairs (same start address). Unused buffers have p == NULL. */
static int overlapping(const span *s, size_t ns, size_t nout, const float *const *alias, size_t nalias)
{
    for (size_t a = 0; a < nout; ++a)
        for (size_t b = 0; b < ns; ++b) {
            if (a == b || !s[a].p || !s[b].p)
                continue;
            uintptr_t pa = (uintptr_t)s[a].p, pb = (uintptr_t)s[b].p;
            if (!(pa < pb + s[b].n * sizeof(float) && pb < pa + s[a].n * sizeof(float)))
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
static ck_status check_spans(const span *s, size_t ns, size_t nout, const float *const *alias, size_t nalias)
{
    for (size_t k = 0; k < ns; ++k)
        if (s[k].p && (s[k].n == SIZE_MAX || span_too_big(s[k])))
            return CK_ERR_INVALID_ARGUMENT;
    return overlapping(s, ns, nout, alias, nalias) ? CK_ERR_OVERLAP : CK_OK;
}

/* The checks every gate entry point starts with, in the order of their statuses: the descriptor
 * (`desc`, its check's status), the required buffers (`required`: all non-NULL), the row range,
 * the ISA. On CK_OK, *t is the ISA's kernel table. */
static ck_status prologue(ck_status desc, int required, size_t batch, size_t row_begin, size_t row_end, ck_isa isa,
                          const ck_kernel_table **t)
{
    if (desc != CK_OK)
        return desc;
    if (!required)
        return CK_ERR_NULL_POINTER;
    if (!(row_begin <= row_end && row_end <= batch))
        return CK_ERR_INVALID_ARGUMENT;
    return ck_table(isa, t);
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

/* Floats spanned by Z: (B - 1) rows of z_stride, then 4H. */
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

ck_status ck_lstm_forward_rows(const ck_lstm_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                               const float *z, const float *bias, const float *c_prev, float *c, float *h,
                               float *workspace)
{
    const ck_kernel_table *t;
    ck_status st = prologue(check_lstm_desc(d), z && c_prev && c && h, d ? d->batch : 0, row_begin, row_end, isa, &t);
    if (st != CK_OK)
        return st;
    const size_t BH = d->batch * d->hidden;
    span s[] = { { c, BH }, { h, BH }, { workspace, 5 * BH },
                 { z, lstm_z_floats(d) }, { bias, bias ? 4 * d->hidden : 0 }, { c_prev, BH } };
    /* the workspace may start at Z when Z is dense: its gate section has Z's layout, and each
     * element is read before it is overwritten */
    const int dense = d->z_stride == 0 || d->z_stride == 4 * d->hidden;
    const float *alias[] = { c, c_prev, workspace, dense ? z : NULL };
    st = check_spans(s, sizeof s / sizeof s[0], 3, alias, 4);
    if (st == CK_OK && row_begin < row_end)
        t->lstm_forward[d->tier](d, row_begin, row_end, z, bias, c_prev, c, h, workspace);
    return st;
}

ck_status ck_lstm_forward(const ck_lstm_desc *d, const float *z, const float *bias, const float *c_prev,
                          float *c, float *h, float *workspace)
{
    return ck_lstm_forward_rows(d, 0, d ? d->batch : 0, CK_ISA_AUTO, z, bias, c_prev, c, h, workspace);
}

ck_status ck_lstm_backward_rows(const ck_lstm_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                                const float *dh, const float *dc_next, const float *workspace,
                                const float *c_prev, float *dz, float *dc_prev, float *db)
{
    const ck_kernel_table *t;
    ck_status st = prologue(check_lstm_desc(d), dh && workspace && c_prev && dz && dc_prev, d ? d->batch : 0,
                            row_begin, row_end, isa, &t);
    if (st != CK_OK)
        return st;
    const size_t BH = d->batch * d->hidden;
    /* dz == workspace covers only the gate section: compare dz with that section */
    span s[] = { { dz, 4 * BH }, { dc_prev, BH }, { db, db ? 4 * d->hidden : 0 },
                 { dh, BH }, { dc_next, dc_next ? BH : 0 }, { c_prev, BH },
                 { dz == workspace ? NULL : workspace, 5 * BH }, { dz == workspace ? workspace + 4 * BH : NULL, BH } };
    const float *alias[] = { dc_prev, dh, dc_prev, dc_next, dc_prev, c_prev };
    st = check_spans(s, sizeof s / sizeof s[0], 3, alias, 6);
    if (st == CK_OK && row_begin < row_end)
        t->lstm_backward(d, row_begin, row_end, dh, dc_next, workspace, c_prev, dz, dc_prev, db);
    return st;
}

ck_status ck_lstm_backward(const ck_lstm_desc *d, const float *dh, const float *dc_next, const float *workspace,
                           const float *c_prev, float *dz, float *dc_prev, float *db)
{
    return ck_lstm_backward_rows(d, 0, d ? d->batch : 0, CK_ISA_AUTO, dh, dc_next, workspace, c_prev, dz,
                                 dc_prev, db);
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

ck_status ck_gru_forward_rows(const ck_gru_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                              const float *x, const float *hg, const float *h_prev, float *h, float *workspace)
{
    const ck_kernel_table *t;
    ck_status st = prologue(check_gru_desc(d), x && hg && h_prev && h, d ? d->batch : 0, row_begin, row_end, isa, &t);
    if (st != CK_OK)
        return st;
    const size_t BH = d->batch * d->hidden;
    span s[] = { { h, BH }, { workspace, 4 * BH }, { x, 3 * BH }, { hg, 3 * BH }, { h_prev, BH } };
    const float *alias[] = { h, h_prev };
    st = check_spans(s, sizeof s / sizeof s[0], 2, alias, 2);
    if (st == CK_OK && row_begin < row_end)
        t->gru_forward[d->tier](d, row_begin, row_end, x, hg, h_prev, h, workspace);
    return st;
}

ck_status ck_gru_forward(const ck_gru_desc *d, const float *x, const float *hg, const float *h_prev, float *h,
                         float *workspace)
{
    return ck_gru_forward_rows(d, 0, d ? d->batch : 0, CK_ISA_AUTO, x, hg, h_prev, h, workspace);
}

ck_status ck_gru_backward_rows(const ck_gru_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                               const float *dh, const float *workspace, const float *h_prev, float *dx,
                               float *dhg, float *dh_prev)
{
    const ck_kernel_table *t;
    ck_status st = prologue(check_gru_desc(d), dh && workspace && h_prev && dx && dhg && dh_prev, d ? d->batch : 0,
                            row_begin, row_end, isa, &t);
    if (st != CK_OK)
        return st;
    const size_t BH = d->batch * d->hidden;
    /* dx == workspace covers only the gate section: compare dx with that section */
    span s[] = { { dx, 3 * BH }, { dhg, 3 * BH }, { dh_prev, BH }, { dh, BH }, { h_prev, BH },
                 { dx == workspace ? NULL : workspace, 4 * BH }, { dx == workspace ? workspace + 3 * BH : NULL, BH } };
    const float *alias[] = { dh_prev, dh, dh_prev, h_prev };
    st = check_spans(s, sizeof s / sizeof s[0], 3, alias, 4);
    if (st == CK_OK && row_begin < row_end)
        t->gru_backward(d, row_begin, row_end, dh, workspace, h_prev, dx, dhg, dh_prev);
    return st;
}

ck_status ck_gru_backward(const ck_gru_desc *d, const float *dh, const float *workspace, const float *h_prev,
                          float *dx, float *dhg, float *dh_prev)
{
    return ck_gru_backward_rows(d, 0, d ? d->batch : 0, CK_ISA_AUTO, dh, workspace, h_prev, dx, dhg, dh_prev);
}
