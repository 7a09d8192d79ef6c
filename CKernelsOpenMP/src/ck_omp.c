/* OpenMP drivers over the serial kernels: whole-buffer argument checks, then one contiguous chunk
 * per thread. Chunks are whole vectors (activations) or whole groups of CK_GATES_DB_ROWS rows (gates),
 * so every chunk runs exactly the code and the summation order of the serial call. */
#include <stdlib.h>

#include "ckernels_omp.h"

#ifdef _OPENMP
/* omp.h is not on the Swift toolchain's include path, and this is the one runtime call needed. */
int omp_get_max_threads(void);
#endif

/* At most `threads` threads (0: OpenMP's default), each with at least `grain` units of work. */
static int team_size(size_t units, size_t grain, int threads)
{
#ifdef _OPENMP
    size_t team = threads > 0 ? (size_t)threads : (size_t)omp_get_max_threads();
#else
    size_t team = 1;
    (void)threads;
#endif
    if (team > units / grain)
        team = units / grain;
    return team < 1 ? 1 : (int)team;
}

int ck_omp_team_size(size_t elements, int threads) { return team_size(elements, CK_OMP_GRAIN, threads); }

/* ---- activations --------------------------------------------------------------------------- */

ck_status ck_unary_f32_omp(ck_unary_f32 f, const float *x, float *y, size_t n, ck_tier tier, int threads)
{
    if (threads < 0 || !f)
        return threads < 0 ? CK_ERR_INVALID_ARGUMENT : CK_ERR_NULL_POINTER;
    /* the whole buffer's checks first: a chunk alone cannot see an overlap with another chunk */
    ck_status st = ck_check_unary_f32(x, y, n, tier);
    int team = ck_omp_team_size(n, threads);
    if (st != CK_OK || team == 1)
        return st == CK_OK ? f(x, y, n, tier) : st;
    /* chunks of whole 64-element blocks: whole vectors for every ISA and whole cache lines */
    const size_t per = ((n + (size_t)team - 1) / (size_t)team + 63) & ~(size_t)63;
    int failed = 0;
#pragma omp parallel for schedule(static) num_threads(team) reduction(| : failed)
    for (int k = 0; k < team; k++) {
        size_t begin = (size_t)k * per < n ? (size_t)k * per : n;
        size_t end = n - begin > per ? begin + per : n;
        failed |= f(x + begin, y + begin, end - begin, tier) != CK_OK;
    }
    return failed ? CK_ERR_INVALID_ARGUMENT : CK_OK;
}

ck_status ck_unary_half_omp(ck_unary_half f, const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, int threads)
{
    if (threads < 0 || !f)
        return threads < 0 ? CK_ERR_INVALID_ARGUMENT : CK_ERR_NULL_POINTER;
    ck_status st = ck_check_unary_half(x, y, n, tier);
    int team = ck_omp_team_size(n, threads);
    if (st != CK_OK || team == 1)
        return st == CK_OK ? f(x, y, n, tier) : st;
    /* chunks of whole 64-element blocks, as for floats */
    const size_t per = ((n + (size_t)team - 1) / (size_t)team + 63) & ~(size_t)63;
    int failed = 0;
#pragma omp parallel for schedule(static) num_threads(team) reduction(| : failed)
    for (int k = 0; k < team; k++) {
        size_t begin = (size_t)k * per < n ? (size_t)k * per : n;
        size_t end = n - begin > per ? begin + per : n;
        failed |= f(x + begin, y + begin, end - begin, tier) != CK_OK;
    }
    return failed ? CK_ERR_INVALID_ARGUMENT : CK_OK;
}

ck_status ck_sigmoid_f32_omp(const float *x, float *y, size_t n, ck_tier tier, int threads)
{
    return ck_unary_f32_omp(ck_sigmoid_f32, x, y, n, tier, threads);
}

ck_status ck_tanh_f32_omp(const float *x, float *y, size_t n, ck_tier tier, int threads)
{
    return ck_unary_f32_omp(ck_tanh_f32, x, y, n, tier, threads);
}

/* ---- gates ----------------------------------------------------------------------------------- */

static size_t row_groups(size_t batch) { return (batch + CK_GATES_DB_ROWS - 1) / CK_GATES_DB_ROWS; }

/* Threads for a batch: by the gate grain over B x H elements, at most one per row group. */
static int gate_team(size_t batch, size_t hidden, int threads)
{
    int team = team_size(batch * hidden, CK_OMP_GATE_GRAIN, threads);
    return (size_t)team > row_groups(batch) ? (int)row_groups(batch) : team;
}

/* Rows [*begin, *end) of chunk k of `team`: whole row groups, the last chunk takes the rest. */
static void chunk_rows(size_t batch, int team, int k, size_t *begin, size_t *end)
{
    size_t per = (row_groups(batch) + (size_t)team - 1) / (size_t)team * CK_GATES_DB_ROWS;
    *begin = (size_t)k * per < batch ? (size_t)k * per : batch;
    *end = batch - *begin > per ? *begin + per : batch;
}

ck_status ck_lstm_forward_omp(const ck_lstm_desc *d, const float *z, const float *bias, const float *c_prev,
                              float *c, float *h, float *workspace, int threads)
{
    if (threads < 0)
        return CK_ERR_INVALID_ARGUMENT;
    /* an empty row range checks every argument for the whole batch and writes nothing */
    ck_status st = ck_lstm_forward_rows(d, 0, 0, CK_ISA_AUTO, z, bias, c_prev, c, h, workspace);
    if (st != CK_OK)
        return st;
    int team = gate_team(d->batch, d->hidden, threads), failed = 0;
#pragma omp parallel for schedule(static) num_threads(team) if (team > 1) reduction(| : failed)
    for (int k = 0; k < team; k++) {
        size_t begin, end;
        chunk_rows(d->batch, team, k, &begin, &end);
        failed |= ck_lstm_forward_rows(d, begin, end, CK_ISA_AUTO, z, bias, c_prev, c, h, workspace) != CK_OK;
    }
    return failed ? CK_ERR_INVALID_ARGUMENT : CK_OK;
}

ck_status ck_lstm_backward_omp(const ck_lstm_desc *d, const float *dh, const float *dc_next,
                               const float *workspace, const float *c_prev, float *dz, float *dc_prev,
                               float *db, int threads)
{
    if (threads < 0)
        return CK_ERR_INVALID_ARGUMENT;
    ck_status st = ck_lstm_backward_rows(d, 0, 0, CK_ISA_AUTO, dh, dc_next, workspace, c_prev, dz, dc_prev, db);
    if (st != CK_OK)
        return st;
    int team = gate_team(d->batch, d->hidden, threads), failed = 0;
    const size_t groups = row_groups(d->batch), width = 4 * d->hidden;
    /* db in the serial order: each row group's sum from -0 into its own partial, then the partials
     * added to db in group order (ck_lstm_backward's documented order). Without memory for the
     * partials, one thread does it all. */
    float *partials = db && team > 1 ? malloc(groups * width * sizeof(float)) : NULL;
    if (!partials) {
        if (db)
            team = 1;
    } else {
        for (size_t k = 0; k < groups * width; k++)
            partials[k] = -0.0f;
    }
#pragma omp parallel for schedule(static) num_threads(team) if (team > 1) reduction(| : failed)
    for (int k = 0; k < team; k++) {
        size_t begin, end;
        chunk_rows(d->batch, team, k, &begin, &end);
        if (!partials) {
            failed |= ck_lstm_backward_rows(d, begin, end, CK_ISA_AUTO, dh, dc_next, workspace, c_prev, dz,
                                            dc_prev, db) != CK_OK;
            continue;
        }
        for (size_t r = begin; r < end; r += CK_GATES_DB_ROWS) {
            size_t last = end - r > CK_GATES_DB_ROWS ? r + CK_GATES_DB_ROWS : end;
            failed |= ck_lstm_backward_rows(d, r, last, CK_ISA_AUTO, dh, dc_next, workspace, c_prev, dz, dc_prev,
                                            partials + r / CK_GATES_DB_ROWS * width) != CK_OK;
        }
    }
    if (partials) {
        for (size_t g = 0; g < groups; g++)
            for (size_t k = 0; k < width; k++)
                db[k] += partials[g * width + k];
        free(partials);
    }
    return failed ? CK_ERR_INVALID_ARGUMENT : CK_OK;
}

ck_status ck_gru_forward_omp(const ck_gru_desc *d, const float *x, const float *hg, const float *h_prev,
                             float *h, float *workspace, int threads)
{
    if (threads < 0)
        return CK_ERR_INVALID_ARGUMENT;
    ck_status st = ck_gru_forward_rows(d, 0, 0, CK_ISA_AUTO, x, hg, h_prev, h, workspace);
    if (st != CK_OK)
        return st;
    int team = gate_team(d->batch, d->hidden, threads), failed = 0;
#pragma omp parallel for schedule(static) num_threads(team) if (team > 1) reduction(| : failed)
    for (int k = 0; k < team; k++) {
        size_t begin, end;
        chunk_rows(d->batch, team, k, &begin, &end);
        failed |= ck_gru_forward_rows(d, begin, end, CK_ISA_AUTO, x, hg, h_prev, h, workspace) != CK_OK;
    }
    return failed ? CK_ERR_INVALID_ARGUMENT : CK_OK;
}

ck_status ck_gru_backward_omp(const ck_gru_desc *d, const float *dh, const float *workspace,
                              const float *h_prev, float *dx, float *dhg, float *dh_prev, int threads)
{
    if (threads < 0)
        return CK_ERR_INVALID_ARGUMENT;
    ck_status st = ck_gru_backward_rows(d, 0, 0, CK_ISA_AUTO, dh, workspace, h_prev, dx, dhg, dh_prev);
    if (st != CK_OK)
        return st;
    int team = gate_team(d->batch, d->hidden, threads), failed = 0;
#pragma omp parallel for schedule(static) num_threads(team) if (team > 1) reduction(| : failed)
    for (int k = 0; k < team; k++) {
        size_t begin, end;
        chunk_rows(d->batch, team, k, &begin, &end);
        failed |= ck_gru_backward_rows(d, begin, end, CK_ISA_AUTO, dh, workspace, h_prev, dx, dhg, dh_prev) != CK_OK;
    }
    return failed ? CK_ERR_INVALID_ARGUMENT : CK_OK;
}
