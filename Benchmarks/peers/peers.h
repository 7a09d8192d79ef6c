#include <stddef.h>
void sleef_sigmoid_u10(const float *x, float *y, size_t n);
void sleef_tanh_u10(const float *x, float *y, size_t n);
void sleef_tanh_u35(const float *x, float *y, size_t n);
