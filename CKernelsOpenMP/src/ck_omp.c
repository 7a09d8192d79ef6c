/* OpenMP drivers over the serial kernels: whole-buffer argument checks, then one contiguous chunk
 * per thread. Chunks are whole vectors (activations) or whole groups of CK_GATES_DB_ROWS rows (gates),
 * so every chunk runs exactly the code and the summation order of the serial call. */
#include <stdlib.h>

#include "ckernels_omp.h"

#ifdef _OPENMP
/* omp.h is not on the Swift toolchain's include path, and this is the one runtime call needed. */
int omp_get_max_threads(void);
#endif

/* `threads`, or OpenMP's default for 0; one thread without OpenMP. */
static int most_threads(int threads)
{
#ifdef _OPENMP
    return threads > 0 ? threads : omp_get_max_threads();
#else
    (void)threads;
    return 1;
#endif
}

int ck_omp_team_size(size_t elements, int threads) { return ck_team_size(elements, most_threads(threads)); }

/* The status of the lowest-numbered failing chunk: the one a serial run over the chunks in order
 * would have stopped at, whichever thread finishes first. */
static void note_failure(ck_status st, int chunk, ck_status *first_st, int *first_chunk)
{
    if (st == CK_OK)
        return;
#pragma omp critical(ck_omp_failure)
    if (chunk < *first_chunk) {
        *first_chunk = chunk;
        *first_st = st;
    }
}

/* ---- activations --------------------------------------------------------------------------- */

/* Elements [begin, end) of one activation call, whose arguments `call` holds. */
typedef ck_status (*unary_range)(const void *call, size_t begin, size_t end);

/* Every activation driver, after the whole buffer's checks (a chunk alone cannot see an overlap
 * with another chunk): one chunk of whole 64-element blocks per thread, whole vectors for every
 * ISA and whole cache lines. */
static ck_status run_chunks(unary_range range, const void *call, size_t n, int threads)
{
    int team = ck_omp_team_size(n, threads), first = team;
    if (team == 1)
        return range(call, 0, n);
    const size_t per = ((n + (size_t)team - 1) / (size_t)team + 63) & ~(size_t)63;
    ck_status st = CK_OK;
#pragma omp parallel for schedule(static) num_threads(team)
    for (int k = 0; k < team; k++) {
        size_t begin = (size_t)k * per < n ? (size_t)k * per : n;
        size_t end = n - begin > per ? begin + per : n;
        note_failure(range(call, begin, end), k, &st, &first);
    }
    return st;
}

typedef struct {
    ck_unary_f32 f;
    const float *x;
    float *y;
    ck_tier tier;
} unary_f32_call;

static ck_status unary_f32_range(const void *call, size_t begin, size_t end)
{
    const unary_f32_call *a = call;
    return a->f(a->x + begin, a->y + begin, end - begin, a->tier);
}

ck_status ck_unary_f32_omp(ck_unary_f32 f, const float *x, float *y, size_t n, ck_tier tier, int threads)
{
    if (threads < 0 || !f)
        return threads < 0 ? CK_ERR_INVALID_ARGUMENT : CK_ERR_NULL_POINTER;
    ck_status st = ck_check_unary_f32(x, y, n, tier);
    const unary_f32_call call = { f, x, y, tier };
    return st != CK_OK ? st : run_chunks(unary_f32_range, &call, n, threads);
}

typedef struct {
    ck_unary_half f;
    const uint16_t *x;
    uint16_t *y;
    ck_tier tier;
} unary_half_call;

static ck_status unary_half_range(const void *call, size_t begin, size_t end)
{
    const unary_half_call *a = call;
    return a->f(a->x + begin, a->y + begin, end - begin, a->tier);
}

ck_status ck_unary_half_omp(ck_unary_half f, const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, int threads)
{
    if (threads < 0 || !f)
        return threads < 0 ? CK_ERR_INVALID_ARGUMENT : CK_ERR_NULL_POINTER;
    ck_status st = ck_check_unary_half(x, y, n, tier);
    const unary_half_call call = { f, x, y, tier };
    return st != CK_OK ? st : run_chunks(unary_half_range, &call, n, threads);
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

/* Rows [begin, end) of one gate call, whose arguments `call` holds; an empty range checks them all
 * and writes nothing. `partials`: where the LSTM backward puts its db by row group
 * (ckernels_threads.h); NULL for the others and for a call that adds to db itself. */
typedef ck_status (*gate_rows)(const void *call, size_t begin, size_t end, float *partials);

/* Rows [*begin, *end) of chunk k of `team`: whole row groups, the last chunk takes the rest. */
static void chunk_rows(size_t batch, int team, int k, size_t *begin, size_t *end)
{
    size_t groups = (batch + CK_GATES_DB_ROWS - 1) / CK_GATES_DB_ROWS;
    size_t per = (groups + (size_t)team - 1) / (size_t)team * CK_GATES_DB_ROWS;
    *begin = (size_t)k * per < batch ? (size_t)k * per : batch;
    *end = batch - *begin > per ? *begin + per : batch;
}

/* Every gate driver: the thread count and the whole batch's checks (the chunks alone cannot see an
 * overlap between them), then one chunk per thread. batch and hidden: the descriptor's (0 without
 * one, which the checks reject first). db_desc and db: the LSTM backward's bias gradient (NULL for
 * the others), summed through per-group partials in the serial order; without memory for them,
 * one thread does it all. */
static ck_status run_team(gate_rows rows, const void *call, size_t batch, size_t hidden, int threads,
                          const ck_lstm_desc *db_desc, float *db)
{
    if (threads < 0)
        return CK_ERR_INVALID_ARGUMENT;
    ck_status st = rows(call, 0, 0, NULL);
    if (st != CK_OK)
        return st;
    int team = ck_gate_team_size(batch, hidden, most_threads(threads)), first = team;
    float *partials = db && team > 1 ? malloc(ck_lstm_db_partials_floats(db_desc) * sizeof(float)) : NULL;
    if (db && !partials)
        team = 1;
#pragma omp parallel for schedule(static) num_threads(team) if (team > 1)
    for (int k = 0; k < team; k++) {
        size_t begin, end;
        chunk_rows(batch, team, k, &begin, &end);
        note_failure(rows(call, begin, end, partials), k, &st, &first);
    }
    if (partials) {
        note_failure(ck_lstm_add_db_partials(db_desc, partials, db), team, &st, &first);
        free(partials);
    }
    return st;
}

/* Each gate call below is a float call or (half != 0) a half-format one in `format`: the tensors'
 * pointers are those of the function its rows run. */
typedef struct {
    const ck_lstm_desc *d;
    int half;
    ck_half_format format;
    const void *z;
    const float *bias, *c_prev;
    float *c;
    void *h;
    float *workspace;
} lstm_forward_call;

static ck_status lstm_forward_rows(const void *call, size_t begin, size_t end, float *partials)
{
    const lstm_forward_call *a = call;
    (void)partials;
    return a->half ? ck_lstm_forward_half_rows(a->d, a->format, begin, end, CK_ISA_AUTO, a->z, a->bias, a->c_prev,
                                                 a->c, a->h, a->workspace)
                     : ck_lstm_forward_rows(a->d, begin, end, CK_ISA_AUTO, a->z, a->bias, a->c_prev, a->c, a->h,
                                            a->workspace);
}

ck_status ck_lstm_forward_omp(const ck_lstm_desc *d, const float *z, const float *bias, const float *c_prev,
                              float *c, float *h, float *workspace, int threads)
{
    const lstm_forward_call call = { d, 0, 0, z, bias, c_prev, c, h, workspace };
    return run_team(lstm_forward_rows, &call, d ? d->batch : 0, d ? d->hidden : 0, threads, NULL, NULL);
}

ck_status ck_lstm_forward_half_omp(const ck_lstm_desc *d, ck_half_format format, const uint16_t *z,
                                   const float *bias, const float *c_prev, float *c, uint16_t *h, float *workspace,
                                   int threads)
{
    const lstm_forward_call call = { d, 1, format, z, bias, c_prev, c, h, workspace };
    return run_team(lstm_forward_rows, &call, d ? d->batch : 0, d ? d->hidden : 0, threads, NULL, NULL);
}

typedef struct {
    const ck_lstm_desc *d;
    int half;
    ck_half_format format;
    const void *dh;
    const float *dc_next, *workspace, *c_prev;
    void *dz;
    float *dc_prev, *db;
} lstm_backward_call;

static ck_status lstm_backward_rows(const void *call, size_t begin, size_t end, float *partials)
{
    const lstm_backward_call *a = call;
    if (a->half)
        return partials ? ck_lstm_backward_half_groups(a->d, a->format, begin, end, CK_ISA_AUTO, a->dh, a->dc_next,
                                                       a->workspace, a->c_prev, a->dz, a->dc_prev, partials)
                        : ck_lstm_backward_half_rows(a->d, a->format, begin, end, CK_ISA_AUTO, a->dh, a->dc_next,
                                                     a->workspace, a->c_prev, a->dz, a->dc_prev, a->db);
    return partials ? ck_lstm_backward_groups(a->d, begin, end, CK_ISA_AUTO, a->dh, a->dc_next, a->workspace,
                                              a->c_prev, a->dz, a->dc_prev, partials)
                    : ck_lstm_backward_rows(a->d, begin, end, CK_ISA_AUTO, a->dh, a->dc_next, a->workspace,
                                            a->c_prev, a->dz, a->dc_prev, a->db);
}

ck_status ck_lstm_backward_omp(const ck_lstm_desc *d, const float *dh, const float *dc_next,
                               const float *workspace, const float *c_prev, float *dz, float *dc_prev,
                               float *db, int threads)
{
    const lstm_backward_call call = { d, 0, 0, dh, dc_next, workspace, c_prev, dz, dc_prev, db };
    return run_team(lstm_backward_rows, &call, d ? d->batch : 0, d ? d->hidden : 0, threads, d, db);
}

ck_status ck_lstm_backward_half_omp(const ck_lstm_desc *d, ck_half_format format, const uint16_t *dh,
                                    const float *dc_next, const float *workspace, const float *c_prev, uint16_t *dz,
                                    float *dc_prev, float *db, int threads)
{
    const lstm_backward_call call = { d, 1, format, dh, dc_next, workspace, c_prev, dz, dc_prev, db };
    return run_team(lstm_backward_rows, &call, d ? d->batch : 0, d ? d->hidden : 0, threads, d, db);
}

typedef struct {
    const ck_gru_desc *d;
    int half;
    ck_half_format format;
    const void *x, *hg, *h_prev;
    void *h;
    float *workspace;
} gru_forward_call;

static ck_status gru_forward_rows(const void *call, size_t begin, size_t end, float *partials)
{
    const gru_forward_call *a = call;
    (void)partials;
    return a->half ? ck_gru_forward_half_rows(a->d, a->format, begin, end, CK_ISA_AUTO, a->x, a->hg, a->h_prev,
                                                a->h, a->workspace)
                     : ck_gru_forward_rows(a->d, begin, end, CK_ISA_AUTO, a->x, a->hg, a->h_prev, a->h, a->workspace);
}

ck_status ck_gru_forward_omp(const ck_gru_desc *d, const float *x, const float *hg, const float *h_prev,
                             float *h, float *workspace, int threads)
{
    const gru_forward_call call = { d, 0, 0, x, hg, h_prev, h, workspace };
    return run_team(gru_forward_rows, &call, d ? d->batch : 0, d ? d->hidden : 0, threads, NULL, NULL);
}

ck_status ck_gru_forward_half_omp(const ck_gru_desc *d, ck_half_format format, const uint16_t *x, const uint16_t *hg,
                                  const uint16_t *h_prev, uint16_t *h, float *workspace, int threads)
{
    const gru_forward_call call = { d, 1, format, x, hg, h_prev, h, workspace };
    return run_team(gru_forward_rows, &call, d ? d->batch : 0, d ? d->hidden : 0, threads, NULL, NULL);
}

typedef struct {
    const ck_gru_desc *d;
    int half;
    ck_half_format format;
    const void *dh;
    const float *workspace;
    const void *h_prev;
    void *dx, *dhg, *dh_prev;
} gru_backward_call;

static ck_status gru_backward_rows(const void *call, size_t begin, size_t end, float *partials)
{
    const gru_backward_call *a = call;
    (void)partials;
    return a->half ? ck_gru_backward_half_rows(a->d, a->format, begin, end, CK_ISA_AUTO, a->dh, a->workspace,
                                                 a->h_prev, a->dx, a->dhg, a->dh_prev)
                     : ck_gru_backward_rows(a->d, begin, end, CK_ISA_AUTO, a->dh, a->workspace, a->h_prev, a->dx,
                                            a->dhg, a->dh_prev);
}

ck_status ck_gru_backward_omp(const ck_gru_desc *d, const float *dh, const float *workspace,
                              const float *h_prev, float *dx, float *dhg, float *dh_prev, int threads)
{
    const gru_backward_call call = { d, 0, 0, dh, workspace, h_prev, dx, dhg, dh_prev };
    return run_team(gru_backward_rows, &call, d ? d->batch : 0, d ? d->hidden : 0, threads, NULL, NULL);
}

ck_status ck_gru_backward_half_omp(const ck_gru_desc *d, ck_half_format format, const uint16_t *dh,
                                   const float *workspace, const uint16_t *h_prev, uint16_t *dx, uint16_t *dhg,
                                   uint16_t *dh_prev, int threads)
{
    const gru_backward_call call = { d, 1, format, dh, workspace, h_prev, dx, dhg, dh_prev };
    return run_team(gru_backward_rows, &call, d ? d->batch : 0, d ? d->hidden : 0, threads, NULL, NULL);
}
