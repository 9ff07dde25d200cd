/* Monotonic clock. */
#include <time.h>

#include "litc/core.h"

uint64_t lit_time_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double lit_time_now(void) { return (double)lit_time_now_ns() * 1e-9; }
