/* Peers that `gatekernels bench` measures beside the kernels, on the same inputs in the same run:
 * libm's scalar functions, and SLEEF's AVX-512 functions when Debian's libsleef is installed.
 * SLEEF is opened at run time (dlopen), so neither the library nor the CLI depends on it. */
#ifndef CPEERS_H
#define CPEERS_H

#include <stddef.h>

/* y[i] = 1 / (1 + expf(-x[i])) and tanhf(x[i]): libm's scalar functions, one element at a time. */
void peers_libm_sigmoid(const float *x, float *y, size_t n);
void peers_libm_tanh(const float *x, float *y, size_t n);

/* Non-zero when libsleef.so.3 could be opened and this CPU runs AVX-512 (the entry points used). */
int peers_sleef_available(void);

/* sigmoid from Sleef_expf16_u10 then 1 / (1 + e); tanh from Sleef_tanhf16_u10 / _u35. Call only
 * when peers_sleef_available(). */
void peers_sleef_sigmoid_u10(const float *x, float *y, size_t n);
void peers_sleef_tanh_u10(const float *x, float *y, size_t n);
void peers_sleef_tanh_u35(const float *x, float *y, size_t n);

#endif
