/* Peers that `gatekernels bench` measures beside the kernels, on the same inputs in the same run:
 * libm's scalar functions, and SLEEF's AVX-512 functions when Debian's libsleef is installed; and
 * the peers that `gatekernels accuracy --peers` sweeps beside them: SLEEF, XNNPACK's sigmoid operator
 * and glibc's vector math (libmvec). Every peer library is opened at run time (dlopen), so neither
 * the library nor the CLI depends on any of them. */
#ifndef CPEERS_H
#define CPEERS_H

#include <stddef.h>

/* y[i] = 1 / (1 + expf(-x[i])) and tanhf(x[i]): libm's scalar functions, one element at a time. */
void peers_libm_sigmoid(const float *x, float *y, size_t n);
void peers_libm_tanh(const float *x, float *y, size_t n);

/* Non-zero when libsleef.so.3 could be opened and this CPU runs AVX-512 (the entry points used);
 * its functions are then among peers_installed's, named "sleef-<function>-u10" and "-u35". */
int peers_sleef_available(void);

/* One installed peer implementation of sigmoid or tanh, as a buffer function that any number of
 * threads may call at once. */
typedef struct {
    const char *name;    /* short identifier, e.g. "xnnpack-sigmoid" */
    const char *label;   /* what it computes, e.g. "XNNPACK xnn_create_sigmoid_nc_f32 operator" */
    int is_tanh;         /* 0: sigmoid, 1: tanh */
    void (*fn)(const float *x, float *y, size_t n);
    const char *library; /* the file it was loaded from (symbolic links resolved) */
    const char *version; /* that library's version where it can be read (file name, glibc), else "" */
} peers_entry;

/* The peers installed on this machine that this CPU can run (SLEEF and libmvec: AVX-512 entry
 * points), in a fixed order; sets *entries and returns how many. */
size_t peers_installed(const peers_entry **entries);

#endif
