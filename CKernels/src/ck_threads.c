/* The thread policy that ckernels_threads.h declares: team sizes and the split LSTM bias gradient. */
#include "ckernels_threads.h"
#include "ck_half_gates.h"
#include <string.h>

/* At most `threads` threads, each with at least `grain` units of work, and at least one. */
static int team(size_t units, size_t grain, int threads)
{
    if (threads < 1)
        return 1;
    size_t t = units / grain < (size_t)threads ? units / grain : (size_t)threads;
    return t < 1 ? 1 : (int)t;
}

static size_t row_groups(size_t batch) { return (batch + CK_GATES_DB_ROWS - 1) / CK_GATES_DB_ROWS; }

int ck_team_size(size_t elements, int threads) { return team(elements, CK_THREAD_GRAIN, threads); }

int ck_gate_team_size(size_t batch, size_t hidden, int threads)
{
    size_t groups = row_groups(batch);
    int t = team(batch * hidden, CK_THREAD_GATE_GRAIN, threads);
    return (size_t)t > groups && groups > 0 ? (int)groups : t;
}

size_t ck_lstm_db_partials_floats(const ck_lstm_desc *d)
{
    /* the workspace size is 0 exactly when d is NULL or invalid */
    return ck_lstm_workspace_floats(d) ? row_groups(d->batch) * 4 * d->hidden : 0;
}

/* ck_lstm_backward_groups for either tensor format */
static ck_status backward_groups(const ck_lstm_desc *d, ck_tensor_format fmt, size_t row_begin, size_t row_end,
                                 ck_isa isa, const void *dh, const float *dc_next, const float *workspace,
                                 const float *c_prev, void *dz, float *dc_prev, float *partials)
{
    if (!partials)
        return CK_ERR_NULL_POINTER;
    /* every check before the first group is written: an empty range at row_end checks the
     * arguments and row_end; each group's call checks its own partial */
    ck_status st = ck_lstm_backward_any_rows(d, fmt, row_end, row_end, isa, dh, dc_next, workspace, c_prev, dz,
                                             dc_prev, NULL);
    if (st != CK_OK)
        return st;
    if (row_begin > row_end || (row_begin < row_end && row_begin % CK_GATES_DB_ROWS))
        return CK_ERR_INVALID_ARGUMENT;
    const size_t width = 4 * d->hidden;
    for (size_t r = row_begin; r < row_end && st == CK_OK; r += CK_GATES_DB_ROWS) {
        float *part = partials + r / CK_GATES_DB_ROWS * width;
        for (size_t k = 0; k < width; k++)
            part[k] = -0.0f;
        size_t last = row_end - r > CK_GATES_DB_ROWS ? r + CK_GATES_DB_ROWS : row_end;
        st = ck_lstm_backward_any_rows(d, fmt, r, last, isa, dh, dc_next, workspace, c_prev, dz, dc_prev, part);
    }
    return st;
}

ck_status ck_lstm_backward_groups(const ck_lstm_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                                  const float *dh, const float *dc_next, const float *workspace,
                                  const float *c_prev, float *dz, float *dc_prev, float *partials)
{
    return backward_groups(d, CK_TENSOR_F32, row_begin, row_end, isa, dh, dc_next, workspace, c_prev, dz, dc_prev,
                           partials);
}

ck_status ck_lstm_backward_half_groups(const ck_lstm_desc *d, ck_half_format format, size_t row_begin,
                                       size_t row_end, ck_isa isa, const uint16_t *dh, const float *dc_next,
                                       const float *workspace, const float *c_prev, uint16_t *dz, float *dc_prev,
                                       float *partials)
{
    return backward_groups(d, ck_half_tensor_format(format), row_begin, row_end, isa, dh, dc_next, workspace, c_prev,
                           dz, dc_prev, partials);
}

ck_status ck_lstm_add_db_partials(const ck_lstm_desc *d, const float *partials, float *db)
{
    const size_t floats = ck_lstm_db_partials_floats(d), width = floats ? 4 * d->hidden : 0;
    if (!d || !partials || !db)
        return CK_ERR_NULL_POINTER;
    if (!floats)
        return CK_ERR_INVALID_ARGUMENT;
    for (size_t g = 0; g < floats; g += width)
        for (size_t k = 0; k < width; k++) { /* memcpy: db may be at any byte address (ckernels.h) */
            float sum;
            memcpy(&sum, (const void *)(db + k), sizeof sum);
            sum += partials[g + k];
            memcpy((void *)(db + k), &sum, sizeof sum);
        }
    return CK_OK;
}
