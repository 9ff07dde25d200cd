/*
 * src/train/seed.c — seed_everything: one seed for every random stream a
 * run uses, visible to child processes through LIT_GLOBAL_SEED (Lightning's
 * PL_GLOBAL_SEED).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train-impl.h"

lit_status lit_seed_everything(int64_t seed, uint64_t *used) {
    if (seed < 0) {
        const char *env = getenv("LIT_GLOBAL_SEED");
        if (env) {
            char *end = NULL;
            errno = 0;
            long long v = strtoll(env, &end, 10);
            if (!*env || *end || errno || v < 0)
                return lit_set_error(LIT_ERR_CONFIG, "LIT_GLOBAL_SEED=\"%s\": expected a non-negative integer", env);
            seed = v;
        } else {
            /* Lightning 2.x: no seed anywhere means 0, with a warning. */
            lit_logf(LIT_LOG_WARN, "seed_everything: no seed given and LIT_GLOBAL_SEED is not set; using 0");
            seed = 0;
        }
    }
    lit_manual_seed((uint64_t)seed);
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, seed);
    if (setenv("LIT_GLOBAL_SEED", text, 1) != 0)
        return lit_set_error(LIT_ERR_IO, "seed_everything: cannot set LIT_GLOBAL_SEED (%s)", strerror(errno));
    if (used) *used = (uint64_t)seed;
    return LIT_OK;
}
