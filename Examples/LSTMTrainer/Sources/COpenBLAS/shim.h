// OpenBLAS's CBLAS (pkg-config openblas puts its own cblas.h, with openblas_set_num_threads, first).
#include <cblas.h>
