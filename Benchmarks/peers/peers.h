/* The peers bench_peers.c times. Each group is built only when its Debian package is installed
 * (scripts/bench-peers.sh decides); the declarations are weak, so a group left out reads as NULL
 * and its rows are skipped. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PEER __attribute__((weak))

/* sleef_peers.c (libsleef-dev): sigmoid and tanh from SLEEF's AVX-512 functions */
PEER void sleef_sigmoid_u10(const float *x, float *y, size_t n);
PEER void sleef_tanh_u10(const float *x, float *y, size_t n);
PEER void sleef_tanh_u35(const float *x, float *y, size_t n);

/* cxx_peers.cpp with PEERS_XNNPACK (libxnnpack-dev): the sigmoid operator, one thread */
PEER void xnn_peer_sigmoid(const float *x, float *y, size_t n);

/* cxx_peers.cpp with PEERS_EIGEN (libeigen3-dev): ArrayXf::tanh() and ::logistic(), and an LSTM
 * forward step as array expressions (IFGO, bias[4H], no clipping; ws NULL for inference, else the
 * 5 B H floats of ck_lstm_forward's workspace) */
PEER void eigen_peer_tanh(const float *x, float *y, size_t n);
PEER void eigen_peer_logistic(const float *x, float *y, size_t n);
PEER void eigen_peer_lstm_forward(size_t B, size_t H, const float *z, const float *bias, float forget_bias,
                                  const float *c_prev, float *c, float *h, float *ws);

/* half_peers.c (x86, no package): whole-buffer conversions, for "convert, float kernel, convert" */
PEER void bf16_to_float(const uint16_t *h, float *f, size_t n);
PEER void float_to_bf16(const float *f, uint16_t *h, size_t n);
PEER void f16_to_float(const uint16_t *h, float *f, size_t n);
PEER void float_to_f16(const float *f, uint16_t *h, size_t n);

#ifdef __cplusplus
}
#endif
