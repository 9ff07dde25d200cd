/*
 * bench-mlp — training throughput of an MLP 784-512-256-10 (ReLU), batch 128,
 * cross-entropy, SGD(lr 0.01, momentum 0.9), f32, 2 threads, on 16 fixed
 * synthetic batches cycled; against PyTorch (bench/ref/mlp.py) in the same run.
 *
 *     ./build/bench-mlp [--steps N] [--warmup W] [--threads T] [--no-ref]
 *
 * Weights and data come from an integer hash that bench/ref/mlp.py reproduces
 * bit for bit, so both sides start from the same numbers and their losses are
 * compared. Validation before timing: the forward pass matches a naive
 * double-precision reference, and the loss on batch 0 is lower one pass over
 * the data later. Prints steps/s of both, peak RSS of both and the ratio
 * litc/pytorch (> 1: litc is faster).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/litc.h"
#include "litc/nn.h"
#include "litc/optim.h"

#include "bench-common.h"

#define BATCH 128
#define N_BATCHES 16
static const int64_t SIZES[4] = {784, 512, 256, 10};

typedef struct {
    lit_nn_mlp mlp;
    lit_param_store *ps;
    lit_optimizer *opt;
    lit_tensor *xs, *ys; /* (16, 128, 784) f32, (16, 128) i64: persistent */
} bench;

static lit_tensor *step(bench *b, int64_t i) {
    lit_tensor *x = lit_select(b->xs, 0, i % N_BATCHES), *y = lit_select(b->ys, 0, i % N_BATCHES);
    lit_tensor *loss = lit_cross_entropy(lit_nn_mlp_forward(&b->mlp, x), y, NULL);
    lit_backward(loss);
    lit_status st = lit_optimizer_step(b->opt);
    LIT_ASSERT(st == LIT_OK, "bench-mlp: optimizer step failed: %s", lit_last_error());
    lit_optimizer_zero_grad(b->opt, 1);
    return loss;
}

/* Forward of rows 0..3 of batch 0 against a naive double-precision MLP. */
static double forward_max_rel_err(bench *b) {
    int prev = lit_set_grad_enabled(0);
    lit_tensor *x = lit_slice(lit_select(b->xs, 0, 0), 0, 0, 4, 1);
    const float *got = lit_f32(lit_contiguous(lit_nn_mlp_forward(&b->mlp, x)));
    lit_set_grad_enabled(prev);
    double worst = 0;
    static double h[2][512];
    for (int r = 0; r < 4; r++) {
        const float *in = lit_f32(b->xs) + r * SIZES[0];
        for (int l = 0; l < 3; l++) {
            const lit_nn_linear *lin = &b->mlp.layers[l];
            const float *w = lit_f32(lin->weight), *bias = lit_f32(lin->bias);
            double *dst = h[l % 2];
            const double *src = h[(l + 1) % 2];
            for (int64_t o = 0; o < SIZES[l + 1]; o++) {
                double acc = bias[o];
                for (int64_t k = 0; k < SIZES[l]; k++)
                    acc += (double)w[o * SIZES[l] + k] * (l == 0 ? (double)in[k] : src[k]);
                dst[o] = l < 2 && acc < 0 ? 0 : acc;
            }
        }
        for (int o = 0; o < SIZES[3]; o++) {
            double ref = h[0][o], err = fabs(got[r * SIZES[3] + o] - ref) / fmax(fabs(ref), 1e-2);
            if (err > worst) worst = err;
        }
    }
    return worst;
}

static void setup(bench *b) {
    b->ps = lit_param_store_new("bench-mlp");
    LIT_ASSERT(b->ps, "bench-mlp: %s", lit_last_error());
    lit_nn_mlp_init(&b->mlp, b->ps, "mlp", 4, SIZES, LIT_NN_ACT_RELU, 0.0, 1, NULL);
    for (int l = 0; l < 3; l++) { /* overwrite the init with the hash mlp.py uses */
        lit_nn_linear *lin = &b->mlp.layers[l];
        float bound = (float)(1.0 / sqrt((double)SIZES[l]));
        hash_uniform(lit_f32(lin->weight), lin->weight->numel, 1 + 2 * l, bound);
        hash_uniform(lit_f32(lin->bias), lin->bias->numel, 2 + 2 * l, bound);
    }
    lit_arena *pa = lit_param_store_arena(b->ps);
    b->xs = lit_tensor_new(pa, LIT_F32, LIT_SHAPE(N_BATCHES, BATCH, SIZES[0]));
    b->ys = lit_tensor_new(pa, LIT_I64, LIT_SHAPE(N_BATCHES, BATCH));
    hash_uniform(lit_f32(b->xs), b->xs->numel, 100, 1.0f);
    uint32_t s = fmix32(200);
    for (int64_t i = 0; i < b->ys->numel; i++) lit_i64(b->ys)[i] = fmix32(s ^ (uint32_t)i) % (uint32_t)SIZES[3];

    int n;
    lit_tensor **params = lit_param_store_trainable(b->ps, &n);
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = 0.01;
    sp.momentum = 0.9;
    b->opt = lit_sgd_new(&sp, params, n);
    LIT_ASSERT(b->opt, "bench-mlp: %s", lit_last_error());
}

/* ---------------------------------------------------------------- reference */

typedef struct {
    int ok, got;
    char why[1024];
    char version[64];
    double first_loss, warmup_loss, final_loss, seconds, steps_per_s, peak_rss_kb;
} ref_result;

static void ref_line(void *user, const char *line) {
    ref_result *r = user;
    char key[64];
    double v;
    if (sscanf(line, "torch_version %63s", r->version) == 1) {
    } else if (sscanf(line, "%63s %lf", key, &v) == 2) {
        if (!strcmp(key, "first_loss")) r->first_loss = v, r->got |= 1;
        if (!strcmp(key, "warmup_loss")) r->warmup_loss = v, r->got |= 2;
        if (!strcmp(key, "final_loss")) r->final_loss = v, r->got |= 4;
        if (!strcmp(key, "seconds")) r->seconds = v, r->got |= 8;
        if (!strcmp(key, "steps_per_s")) r->steps_per_s = v, r->got |= 16;
        if (!strcmp(key, "peak_rss_kb")) r->peak_rss_kb = v, r->got |= 32;
    }
}

static void run_reference(int steps, int warmup, int threads, ref_result *r) {
    memset(r, 0, sizeof *r);
    char cmd[1024], last[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/bench/ref/mlp.py' --steps %d --warmup %d --threads %d 2>&1",
             LITC_SOURCE_DIR, steps, warmup, threads);
    int status = run_ref_script("/usr/bin/python3", cmd, ref_line, r, r->why, sizeof r->why, last, sizeof last);
    if (r->why[0]) return;
    if (status != 0 || r->got != 63) {
        ref_script_failed(r->why, sizeof r->why, "mlp.py", status, last);
        return;
    }
    r->ok = 1;
}

/* ---------------------------------------------------------------- main */

static int parse_int(const char *flag, const char *s, int lo) { return parse_int_flag("bench-mlp", flag, s, lo, 1000000); }

int main(int argc, char **argv) {
    int steps = 200, warmup = 20, threads = 2, with_ref = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-ref")) {
            with_ref = 0;
        } else if (i + 1 < argc && !strcmp(a, "--steps")) {
            steps = parse_int(a, argv[++i], 1);
        } else if (i + 1 < argc && !strcmp(a, "--warmup")) {
            warmup = parse_int(a, argv[++i], N_BATCHES + 1);
        } else if (i + 1 < argc && !strcmp(a, "--threads")) {
            threads = parse_int(a, argv[++i], 1);
        } else {
            fprintf(stderr, "bench-mlp: unknown or incomplete option '%s'\n"
                            "usage: bench-mlp [--steps N] [--warmup W >= %d] [--threads T] [--no-ref]\n",
                    a, N_BATCHES + 1);
            return 2;
        }
    }
    lit_set_num_threads(threads);
    printf("bench-mlp: MLP 784-512-256-10 (ReLU), batch %d, cross-entropy, SGD(lr 0.01, momentum 0.9), f32, "
           "%d threads, %d warm-up + %d timed steps\n", BATCH, threads, warmup, steps);

    bench b;
    setup(&b);
    lit_arena *arena = lit_arena_new("bench-mlp-step", 0);
    LIT_ASSERT(arena, "bench-mlp: %s", lit_last_error());
    lit_arena *prev_arena = lit_arena_use(arena);

    /* Validate, then warm up (the first steps also size the step arena). */
    double err = forward_max_rel_err(&b);
    lit_arena_reset(arena);
    printf("validate: forward vs naive double reference: max rel err %.2e %s\n", err, err < 1e-4 ? "ok" : "FAIL");
    if (!(err < 1e-4)) return 1;
    double first = 0, again = 0, warm = 0;
    for (int i = 0; i < warmup; i++) {
        double l = lit_item(step(&b, i));
        if (i == 0) first = l;
        if (i == N_BATCHES) again = l; /* batch 0 again, one pass later */
        warm = l;
        lit_arena_reset(arena);
    }
    int dec = again < first;
    printf("validate: loss on batch 0: %.6f at step 0 -> %.6f at step %d %s\n", first, again, N_BATCHES,
           dec ? "(decreasing) ok" : "(not decreasing) FAIL");
    if (!dec) return 1;

    size_t mallocs = lit_arena_malloc_count(arena);
    double t0 = lit_time_now();
    lit_tensor *loss = NULL;
    for (int i = warmup; i < warmup + steps; i++) {
        loss = step(&b, i);
        if (i + 1 < warmup + steps) lit_arena_reset(arena);
    }
    double dt = lit_time_now() - t0;
    double final = lit_item(loss);
    lit_arena_reset(arena);
    double sps = steps / dt, rss = peak_rss_kb() / 1024.0;
    printf("litc:    %d steps in %.3f s = %8.2f steps/s   peak RSS %7.1f MiB   loss %.6f (step arena %.1f MiB, "
           "%zu chunk mallocs while timed)\n",
           steps, dt, sps, rss, final, lit_arena_high_water(arena) / 1048576.0,
           lit_arena_malloc_count(arena) - mallocs);

    int rc = 0;
    if (with_ref) {
        ref_result r;
        run_reference(steps, warmup, threads, &r);
        if (!r.ok) {
            printf("pytorch: reference skipped: %s\n", r.why);
        } else {
            printf("pytorch: %d steps in %.3f s = %8.2f steps/s   peak RSS %7.1f MiB   loss %.6f (torch %s)\n", steps,
                   r.seconds, r.steps_per_s, r.peak_rss_kb / 1024.0, r.final_loss, r.version);
            /* Same init, data and updates: the losses agree closely at first; over
             * long runs float rounding makes the trajectories drift apart slowly. */
            double d0 = fabs(first - r.first_loss), dw = fabs(warm - r.warmup_loss), df = fabs(final - r.final_loss);
            int same = d0 < 1e-5 && dw < 1e-4 && df < 1e-3 + 0.02 * fabs(r.final_loss);
            printf("validate: losses litc vs pytorch: step 0 %.6f/%.6f, step %d %.6f/%.6f, step %d %.6f/%.6f %s\n",
                   first, r.first_loss, warmup - 1, warm, r.warmup_loss, warmup + steps - 1, final, r.final_loss,
                   same ? "ok" : "FAIL");
            if (!same) rc = 1;
            printf("ratio litc/pytorch: %.2fx steps/s (> 1: litc is faster), peak RSS %.2fx\n", sps / r.steps_per_s,
                   rss / (r.peak_rss_kb / 1024.0));
        }
    }
    lit_optimizer_free(b.opt);
    lit_param_store_free(b.ps);
    lit_arena_use(prev_arena);
    lit_arena_free(arena);
    return rc;
}
