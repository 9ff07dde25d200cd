/* Thread count shared by our OpenMP kernels and OpenBLAS. */
#include <omp.h>

#include "litc/core.h"

void openblas_set_num_threads(int num_threads); /* from libopenblas */

static int num_threads; /* 0 = not set: OpenMP's default */

void lit_set_num_threads(int n) {
    if (n <= 0) n = omp_get_num_procs();
    num_threads = n;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int lit_get_num_threads(void) { return num_threads ? num_threads : omp_get_max_threads(); }
