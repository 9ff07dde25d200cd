/*
 * bench/bench-common.h — what bench-mlp, bench-trainer and bench-checkpoint
 * share: the hash the references repeat (murmur3's fmix32 and the uniform
 * float32 fill built on it), median / min / max of repeated timings, the
 * process's peak RSS, integer flags, which Python runs a reference and the
 * loop that runs a bench/ref/<name>.py script and reads its "key value" lines.
 * Header-only (static inline), included by each bench's single .c file.
 */
#ifndef LITC_BENCH_COMMON_H
#define LITC_BENCH_COMMON_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- hash data */

/* murmur3's finaliser; h(seed, i) = fmix32(fmix32(seed) ^ i), as the bench/ref scripts. */
static inline uint32_t fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16);
}

/* Uniform [-bound, bound) from the hash (or [0, bound) when nonneg), in
 * float32 steps numpy repeats exactly. */
static inline void hash_fill(float *out, int64_t n, uint32_t seed, float bound, int nonneg) {
    uint32_t s = fmix32(seed);
    for (int64_t i = 0; i < n; i++) {
        float u = (float)(fmix32(s ^ (uint32_t)i) >> 8) * 0x1p-24f;
        out[i] = nonneg ? u * bound : (2.0f * u - 1.0f) * bound;
    }
}
static inline void hash_uniform(float *out, int64_t n, uint32_t seed, float bound) {
    hash_fill(out, n, seed, bound, 0);
}

/* ---------------------------------------------------------------- timings */

static inline int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, min and max of n >= 1 samples (v is left as it is). */
typedef struct { double med, min, max; } stats;
static inline stats summarize(const double *v, int n) {
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    stats out = { n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]), s[0], s[n - 1] };
    free(s);
    return out;
}
static inline double median(const double *v, int n) { return summarize(v, n).med; }

/* The process's peak RSS (getrusage's ru_maxrss: KiB on Linux), NAN if unknown. */
static inline double peak_rss_kb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return NAN;
    return (double)ru.ru_maxrss;
}

/* ---------------------------------------------------------------- flags */

/* The integer value of flag, in lo..hi; otherwise a message from prog and exit 2. */
static inline int parse_int_flag(const char *prog, const char *flag, const char *s, int lo, int hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "%s: %s expects an integer in %d..%d, got '%s'\n", prog, flag, lo, hi, s);
        exit(2);
    }
    return (int)v;
}

/* ---------------------------------------------------------------- references */

/* The Python a reference runs with: the one given, else the venv
 * scripts/deps.sh --reference makes (Lightning lives there), else the system's. */
static inline const char *pick_python(const char *given) {
    if (given) return given;
    if (access("/opt/litc-ref-venv/bin/python", X_OK) == 0) return "/opt/litc-ref-venv/bin/python";
    return "/usr/bin/python3";
}

/* Runs cmd (a bench/ref script through python, stderr folded in) and hands
 * each output line, without its newline, to on_line, except "skip <why>",
 * which is copied into why. Returns pclose's status, or -1 when it could not
 * start (why says so); last gets the last line printed. */
static inline int run_ref_script(const char *python, const char *cmd, void (*on_line)(void *user, const char *line),
                                 void *user, char *why, size_t why_n, char *last, size_t last_n) {
    why[0] = 0;
    last[0] = 0;
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(why, why_n, "cannot run %s: %s", python, strerror(errno));
        return -1;
    }
    char line[1024];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        snprintf(last, last_n, "%s", line);
        if (!strncmp(line, "skip ", 5)) snprintf(why, why_n, "%s", line + 5);
        else on_line(user, line);
    }
    return pclose(p);
}

/* why = "bench/ref/<script> failed (exit N): <its last line>". */
static inline void ref_script_failed(char *why, size_t why_n, const char *script, int status, const char *last) {
    snprintf(why, why_n, "bench/ref/%s failed (exit %d): %s", script, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
             last[0] ? last : "no output");
}

#endif
