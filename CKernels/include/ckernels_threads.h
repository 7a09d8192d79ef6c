/* The thread policy of GateKernels' parallel drivers, written once for both backends: Swift's
 * Dispatch drivers (Parallelism.automatic) and the OpenMP drivers of ckernels_omp.h. The kernels
 * themselves are single-threaded. */
#ifndef CKERNELS_THREADS_H
#define CKERNELS_THREADS_H

#include "ckernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Work per thread below which a driver uses fewer threads: elements for the activations
 * (CK_THREAD_GRAIN), hidden elements B x H for the gate updates (CK_THREAD_GATE_GRAIN). The
 * smallest sizes at which two threads were not slower than one, with margin: docs/threads.md
 * has the table and the command that measures it again. */
#define CK_THREAD_GRAIN 32768
#define CK_THREAD_GATE_GRAIN 8192

/* Threads for `elements` activation elements with at most `threads` (at least 1). */
int ck_team_size(size_t elements, int threads);

/* Threads for a gate update of `batch` rows of `hidden` with at most `threads` (at least 1): by
 * CK_THREAD_GATE_GRAIN over B x H, and at most one per group of CK_GATES_DB_ROWS rows, the unit a
 * driver splits a batch in. */
int ck_gate_team_size(size_t batch, size_t hidden, int threads);

/* An LSTM backward with db split over threads, in the order that gives the whole-batch call's
 * bits (see ck_lstm_backward_rows): each thread runs whole row groups with ck_lstm_backward_groups,
 * which writes each group's db sum, from -0, to its own 4H floats of `partials` (group g at
 * partials + 4H g; ck_lstm_db_partials_floats(d) floats for the batch, 0 if d is invalid); once
 * every group is done, ck_lstm_add_db_partials adds them to db in group order. row_begin must be
 * a multiple of CK_GATES_DB_ROWS (or row_end); the other arguments are those of
 * ck_lstm_backward_rows. */
size_t ck_lstm_db_partials_floats(const ck_lstm_desc *d);
ck_status ck_lstm_backward_groups(const ck_lstm_desc *d, size_t row_begin, size_t row_end, ck_isa isa,
                                  const float *dh, const float *dc_next, const float *workspace,
                                  const float *c_prev, float *dz, float *dc_prev, float *partials);
ck_status ck_lstm_add_db_partials(const ck_lstm_desc *d, const float *partials, float *db);

/* ck_lstm_backward_groups for ck_lstm_backward_half_rows: the same partials, in float. */
ck_status ck_lstm_backward_half_groups(const ck_lstm_desc *d, ck_half_format format, size_t row_begin,
                                       size_t row_end, ck_isa isa, const uint16_t *dh, const float *dc_next,
                                       const float *workspace, const float *c_prev, uint16_t *dz, float *dc_prev,
                                       float *partials);

#ifdef __cplusplus
}
#endif
#endif
