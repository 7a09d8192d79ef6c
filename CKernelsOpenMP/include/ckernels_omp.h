/* GateKernels OpenMP drivers: the kernels of ckernels.h split over an OpenMP team.
 *
 * Built by the package's `OpenMP` trait (or the standalone Makefile with OpenMP). Each driver
 * checks its arguments for the whole buffer exactly as the serial function does (same status
 * codes, nothing written unless CK_OK; ck_unary_f32_omp says what a caller's failing kernel
 * leaves), then runs the serial kernel on contiguous chunks with `#pragma omp parallel for
 * schedule(static)`, one chunk per thread. Results are bitwise identical to the serial call for
 * every thread count, the LSTM bias gradient included (it is summed in the fixed group order that
 * ck_lstm_backward documents).
 *
 * threads: the most threads to use (0: OpenMP's default, omp_get_max_threads()). Fewer run when
 * the work is too small to repay waking them, by the policy of ckernels_threads.h that Swift's
 * Dispatch drivers follow too. Without OpenMP the drivers run serially. */
#ifndef CKERNELS_OMP_H
#define CKERNELS_OMP_H

#include "ckernels.h"
#include "ckernels_threads.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Elements per thread below which a driver uses fewer threads: activations (CK_OMP_GRAIN) and
 * gate updates (CK_OMP_GATE_GRAIN, hidden elements B x H); the grains of ckernels_threads.h. */
#define CK_OMP_GRAIN CK_THREAD_GRAIN
#define CK_OMP_GATE_GRAIN CK_THREAD_GATE_GRAIN

/* The number of threads a driver uses for `elements` elements with at most `threads` threads. */
int ck_omp_team_size(size_t elements, int threads);

/* A kernel with the signature of ck_sigmoid_f32 (ck_sigmoid_f32, ck_tanh_f32, or the caller's). */
typedef ck_status (*ck_unary_f32)(const float *x, float *y, size_t n, ck_tier tier);

/* f over contiguous chunks of x and y, with the argument checks of ck_sigmoid_f32 for the whole
 * buffer made before any chunk runs (f is not called if they fail; a NULL f is CK_ERR_NULL_POINTER).
 * If f fails on a chunk, the driver returns f's own status, that of the lowest-numbered failing
 * chunk; the other chunks may already have run, so y holds a mix of results and old contents, as it
 * would after a serial f that stopped partway. The library's own kernels never fail once the
 * whole-buffer checks pass, so for them "nothing written unless CK_OK" holds. */
ck_status ck_unary_f32_omp(ck_unary_f32 f, const float *x, float *y, size_t n, ck_tier tier, int threads);

ck_status ck_sigmoid_f32_omp(const float *x, float *y, size_t n, ck_tier tier, int threads);
ck_status ck_tanh_f32_omp(const float *x, float *y, size_t n, ck_tier tier, int threads);

/* The same for the half-format functions (ck_sigmoid_bf16, ck_tanh_f16, ...), with the checks of
 * ck_check_unary_half; a failing f leaves what it leaves for ck_unary_f32_omp. */
typedef ck_status (*ck_unary_half)(const uint16_t *x, uint16_t *y, size_t n, ck_tier tier);
ck_status ck_unary_half_omp(ck_unary_half f, const uint16_t *x, uint16_t *y, size_t n, ck_tier tier, int threads);

ck_status ck_lstm_forward_omp(const ck_lstm_desc *d, const float *z, const float *bias, const float *c_prev,
                              float *c, float *h, float *workspace, int threads);
ck_status ck_lstm_backward_omp(const ck_lstm_desc *d, const float *dh, const float *dc_next,
                               const float *workspace, const float *c_prev, float *dz, float *dc_prev,
                               float *db, int threads);
ck_status ck_gru_forward_omp(const ck_gru_desc *d, const float *x, const float *hg, const float *h_prev,
                             float *h, float *workspace, int threads);
ck_status ck_gru_backward_omp(const ck_gru_desc *d, const float *dh, const float *workspace,
                              const float *h_prev, float *dx, float *dhg, float *dh_prev, int threads);

/* The gate updates with half-format tensors (ck_lstm_forward_half, ...), split the same way. */
ck_status ck_lstm_forward_half_omp(const ck_lstm_desc *d, ck_half_format format, const uint16_t *z,
                                   const float *bias, const float *c_prev, float *c, uint16_t *h, float *workspace,
                                   int threads);
ck_status ck_lstm_backward_half_omp(const ck_lstm_desc *d, ck_half_format format, const uint16_t *dh,
                                    const float *dc_next, const float *workspace, const float *c_prev, uint16_t *dz,
                                    float *dc_prev, float *db, int threads);
ck_status ck_gru_forward_half_omp(const ck_gru_desc *d, ck_half_format format, const uint16_t *x, const uint16_t *hg,
                                  const uint16_t *h_prev, uint16_t *h, float *workspace, int threads);
ck_status ck_gru_backward_half_omp(const ck_gru_desc *d, ck_half_format format, const uint16_t *dh,
                                   const float *workspace, const uint16_t *h_prev, uint16_t *dx, uint16_t *dhg,
                                   uint16_t *dh_prev, int threads);

#ifdef __cplusplus
}
#endif
#endif
