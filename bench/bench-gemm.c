/*
 * bench-gemm — GFLOP/s of litc's sgemm path (lit_matmul_ex -> backend ->
 * OpenBLAS) on square sizes and on the MLP benchmark's shapes, against the
 * CPU's theoretical peak and against PyTorch's torch.matmul measured in the
 * same run (bench/ref/gemm.py, skipped when torch is missing).
 *
 *     ./build/bench-gemm [--threads T] [--min-time S] [--no-ref]
 *
 * Validation first: every transpose combination on a small odd size is
 * compared with a naive double triple loop; a mismatch exits 1 before any
 * timing. Each shape is then timed for at least --min-time seconds (best of
 * three such runs), output allocated in the step arena and reset per call.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/litc.h"

typedef struct {
    const char *label;
    int64_t m, n, k;
    int ta, tb;
} shape;

/* C (m, n) = op(A) @ op(B); the MLP is 784-512-256-10 at batch 128. */
static const shape SHAPES[] = {
    {"square 256", 256, 256, 256, 0, 0},
    {"square 512", 512, 512, 512, 0, 0},
    {"square 1024", 1024, 1024, 1024, 0, 0},
    {"square 2048", 2048, 2048, 2048, 0, 0},
    {"mlp fc1 fwd x@W1^T", 128, 512, 784, 0, 1},
    {"mlp fc1 dW1 G^T@x", 512, 784, 128, 1, 0},
    {"mlp fc2 fwd h@W2^T", 128, 256, 512, 0, 1},
    {"mlp fc2 dh1 G@W2", 128, 512, 256, 0, 0},
    {"mlp fc2 dW2 G^T@h", 256, 512, 128, 1, 0},
    {"mlp fc3 fwd h@W3^T", 128, 10, 256, 0, 1},
};
#define N_SHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))

/* Heap tensors (they survive the per-call arena resets). */
static lit_tensor *operand(int64_t rows, int64_t cols, uint64_t seed) {
    lit_tensor *t = lit_tensor_new(NULL, LIT_F32, 2, (int64_t[]){rows, cols});
    if (!t) {
        fprintf(stderr, "bench-gemm: out of memory\n");
        exit(1);
    }
    lit_rng rng = lit_rng_new(seed);
    lit_rng_fill_uniform(&rng, t->data, (size_t)t->numel, -1.0f, 1.0f);
    return t;
}

static void make_operands(const shape *s, lit_tensor **a, lit_tensor **b) {
    *a = s->ta ? operand(s->k, s->m, 1) : operand(s->m, s->k, 1);
    *b = s->tb ? operand(s->n, s->k, 2) : operand(s->k, s->n, 2);
}

/* Every flag combination on 37x29x23 against a double triple loop. */
static int validate(void) {
    int ok = 1;
    for (int f = 0; f < 4; f++) {
        shape s = {"check", 37, 29, 23, f & 1, f >> 1};
        lit_tensor *a, *b;
        make_operands(&s, &a, &b);
        lit_tensor *c = lit_matmul_ex(a, b, s.ta, s.tb);
        const float *A = a->data, *B = b->data, *C = c->data;
        double worst = 0;
        for (int64_t i = 0; i < s.m; i++)
            for (int64_t j = 0; j < s.n; j++) {
                double r = 0;
                for (int64_t p = 0; p < s.k; p++)
                    r += (double)(s.ta ? A[p * s.m + i] : A[i * s.k + p]) * (s.tb ? B[j * s.k + p] : B[p * s.n + j]);
                worst = fmax(worst, fabs(r - C[i * s.n + j]));
            }
        printf("validate: ta=%d tb=%d %lldx%lldx%lld max |err| vs naive = %.2e %s\n", s.ta, s.tb, (long long)s.m,
               (long long)s.n, (long long)s.k, worst, worst < 1e-4 ? "ok" : "FAILED");
        ok &= worst < 1e-4;
        lit_tensor_free(a);
        lit_tensor_free(b);
        lit_arena_reset(lit_arena_current());
    }
    return ok;
}

/* Best of three runs of >= min_time seconds each. */
static double time_gflops(const shape *s, double min_time) {
    lit_tensor *a, *b;
    make_operands(s, &a, &b);
    for (int w = 0; w < 2; w++) {
        lit_matmul_ex(a, b, s->ta, s->tb);
        lit_arena_reset(lit_arena_current());
    }
    double flop = 2.0 * (double)s->m * (double)s->n * (double)s->k, best = 0;
    for (int run = 0; run < 3; run++) {
        long reps = 0;
        double t0 = lit_time_now(), dt;
        do {
            lit_matmul_ex(a, b, s->ta, s->tb);
            lit_arena_reset(lit_arena_current());
            reps++;
            dt = lit_time_now() - t0;
        } while (dt < min_time);
        best = fmax(best, flop * (double)reps / dt / 1e9);
    }
    lit_tensor_free(a);
    lit_tensor_free(b);
    return best;
}

/* Theoretical f32 peak: cores x GHz x SIMD lanes x 2 (FMA = 2 FLOP) x 2 FMA units. */
static double peak_gflops(int cores) {
    double mhz = 0;
    const char *src = "";
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "r");
    if (f) {
        double khz;
        if (fscanf(f, "%lf", &khz) == 1) {
            mhz = khz / 1000.0;
            src = "cpuinfo_max_freq";
        }
        fclose(f);
    }
    int avx512 = 0, avx2 = 0;
    char line[8192];
    f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            double v;
            if (!strncmp(line, "cpu MHz", 7) && sscanf(strchr(line, ':') + 1, "%lf", &v) == 1 && !*src && v > mhz)
                mhz = v; /* no cpufreq (VMs): the highest reported current clock */
            if (!strncmp(line, "flags", 5)) {
                avx512 |= strstr(line, " avx512f") != NULL;
                avx2 |= strstr(line, " avx2") != NULL && strstr(line, " fma") != NULL;
            }
        }
        fclose(f);
        if (!*src && mhz > 0) src = "max 'cpu MHz' in /proc/cpuinfo: nominal clock, boost may exceed it";
    }
    int lanes = avx512 ? 16 : avx2 ? 8 : 4;
    double peak = cores * mhz / 1000.0 * lanes * 2 * 2;
    printf("peak: %d cores x %.3f GHz [%s] x %d f32 lanes (%s) x 2 FLOP/FMA x 2 FMA units = %.1f GFLOP/s\n", cores,
           mhz / 1000.0, *src ? src : "unknown", lanes, avx512 ? "AVX-512" : avx2 ? "AVX2+FMA" : "SSE", peak);
    return peak;
}

/* torch.matmul GFLOP/s per shape from bench/ref/gemm.py; 0 when skipped. */
static int run_reference(int threads, double min_time, double *out, char *why, size_t why_n) {
    char shapes[1024] = "", cmd[2048];
    size_t off = 0;
    for (int i = 0; i < N_SHAPES; i++)
        off += (size_t)snprintf(shapes + off, sizeof shapes - off, "%s%lldx%lldx%lld:%c%c", i ? "," : "",
                                (long long)SHAPES[i].m, (long long)SHAPES[i].n, (long long)SHAPES[i].k,
                                SHAPES[i].ta ? 'T' : 'N', SHAPES[i].tb ? 'T' : 'N');
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/bench/ref/gemm.py' --threads %d --min-time %g --shapes '%s' 2>&1",
             LITC_SOURCE_DIR, threads, min_time, shapes);
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(why, why_n, "cannot run /usr/bin/python3: %s", strerror(errno));
        return 0;
    }
    char line[512];
    int got = 0;
    snprintf(why, why_n, "no output from bench/ref/gemm.py");
    while (fgets(line, sizeof line, p)) {
        int idx;
        double v;
        if (!strncmp(line, "skip ", 5)) {
            line[strcspn(line, "\n")] = 0;
            snprintf(why, why_n, "%s", line + 5);
        } else if (sscanf(line, "gflops %d %lf", &idx, &v) == 2 && idx >= 0 && idx < N_SHAPES) {
            out[idx] = v;
            got++;
        } else if (!strncmp(line, "torch_version", 13)) {
            printf("pytorch: %s", line);
        }
    }
    int rc = pclose(p);
    if (rc != 0 && got == 0) snprintf(why, why_n, "bench/ref/gemm.py failed (status %d)", rc);
    return got == N_SHAPES;
}

int main(int argc, char **argv) {
    int threads = 2, ref = 1;
    double min_time = 0.3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--no-ref")) ref = 0;
        else {
            fprintf(stderr, "usage: %s [--threads T] [--min-time S] [--no-ref]\n", argv[0]);
            return 2;
        }
    }
    if (threads < 1 || min_time <= 0) {
        fprintf(stderr, "bench-gemm: --threads must be >= 1 and --min-time > 0\n");
        return 2;
    }
    lit_set_num_threads(threads);
    printf("bench-gemm: backend %s, %d threads\n", lit_backend_get()->name, threads);
    if (!validate()) {
        fprintf(stderr, "bench-gemm: validation failed; not timing\n");
        return 1;
    }
    double peak = peak_gflops(threads);
    FILE *la = fopen("/proc/loadavg", "r");
    double load;
    if (la && fscanf(la, "%lf", &load) == 1 && load > 0.5)
        printf("warning: load average %.2f before timing: other processes share these cores, so multi-threaded "
               "timings (ours and torch's) are noise; rerun on an idle machine\n",
               load);
    if (la) fclose(la);
    double ours[N_SHAPES], theirs[N_SHAPES] = {0};
    char why[256] = "disabled (--no-ref)";
    int have_ref = ref && run_reference(threads, min_time, theirs, why, sizeof why);
    printf("\n%-22s %16s %9s %10s %9s\n", "shape", "m x n x k (op)", "GFLOP/s", "% of peak",
           have_ref ? "vs torch" : "");
    double log_ratio = 0;
    for (int i = 0; i < N_SHAPES; i++) {
        const shape *s = &SHAPES[i];
        ours[i] = time_gflops(s, min_time);
        char dims[64];
        snprintf(dims, sizeof dims, "%lldx%lldx%lld %c%c", (long long)s->m, (long long)s->n, (long long)s->k,
                 s->ta ? 'T' : 'N', s->tb ? 'T' : 'N');
        printf("%-22s %16s %9.1f %9.1f%%", s->label, dims, ours[i], peak > 0 ? 100 * ours[i] / peak : 0);
        if (have_ref) {
            printf(" %8.2fx  (torch %.1f GFLOP/s)", ours[i] / theirs[i], theirs[i]);
            log_ratio += log(ours[i] / theirs[i]);
        }
        printf("\n");
    }
    if (have_ref)
        printf("\nratio litc/pytorch (geometric mean over %d shapes, > 1: litc faster): %.2f\n", N_SHAPES,
               exp(log_ratio / N_SHAPES));
    else
        printf("\npytorch: reference skipped: %s\n", why);
    return 0;
}
