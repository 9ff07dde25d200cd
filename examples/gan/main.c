/*
 * gan — a GAN on the 2-D ring of 8 Gaussians, fitted by the Trainer with
 * manual optimization (module.c), then scored on mode coverage and sample
 * quality (see README.md).
 *
 *     ./build/gan [--steps N] [--seed S] [--threads T]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

static void usage(FILE *f) {
    fprintf(f, "usage: gan [options]\n"
               "  --steps N      training batches, each one D and one G step (default 3000)\n"
               "  --seed S       seed of initialisation, data, noise and evaluation (default 0)\n"
               "  --threads T    kernel threads (default 1: bit-exact runs)\n"
               "  -h, --help     show this help\n");
}

/* A whole-string integer in [lo, hi] or -1 with a message. */
static int parse_int(const char *flag, const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "gan: %s expects an integer in [%lld, %lld], got '%s'\n", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Fill *c from argv ("--flag value" or "--flag=value"); 0, 1 for --help, -1 on a usage error. */
static int parse_args(int argc, char **argv, gan_fit_config *c) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
        char flag[32];
        const char *val = NULL, *eq = strchr(a, '=');
        if (eq && (size_t)(eq - a) < sizeof flag) {
            memcpy(flag, a, (size_t)(eq - a));
            flag[eq - a] = 0;
            val = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", a);
        }
        if (strcmp(flag, "--steps") && strcmp(flag, "--seed") && strcmp(flag, "--threads")) {
            fprintf(stderr, "gan: unknown option '%s' (valid: --steps --seed --threads --help)\n", a);
            return -1;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "gan: %s needs a value\n", flag);
                return -1;
            }
            val = argv[++i];
        }
        long long v;
        if (!strcmp(flag, "--steps")) {
            if (parse_int(flag, val, 1, 100000000, &v)) return -1;
            c->steps = v;
        } else if (!strcmp(flag, "--seed")) {
            if (parse_int(flag, val, 0, INT64_MAX, &v)) return -1;
            c->seed = (uint64_t)v;
        } else {
            if (parse_int(flag, val, 1, 1024, &v)) return -1;
            c->threads = (int)v;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    gan_fit_config c = gan_fit_default_config();
    c.threads = 1; /* the Trainer's progress bar shows d_loss/g_loss (logged with prog_bar) */
    int r = parse_args(argc, argv, &c);
    if (r > 0) {
        usage(stdout);
        return 0;
    }
    if (r < 0) {
        fprintf(stderr, "run 'gan --help' for the options\n");
        return 2;
    }
    printf("gan: ring of %d Gaussians, G %d-%lld-%lld-2, D 2-%lld-%lld-1, Adam lr %g/%g, batch %lld, %lld steps, "
           "seed %llu\n",
           c.ring.modes, c.model.noise_dim, (long long)c.model.g_hidden, (long long)c.model.g_hidden,
           (long long)c.model.d_hidden, (long long)c.model.d_hidden, c.model.lr_g, c.model.lr_d,
           (long long)c.batch_size, (long long)c.steps, (unsigned long long)c.seed);

    gan_trainer_result res;
    lit_status st = gan_fit_trainer(&c, NULL, &res);
    if (st < 0) {
        fprintf(stderr, "gan: %s: %s\n", lit_status_str(st), lit_last_error());
        return 1;
    }
    const gan_ring_quality *q = &res.fit.quality;
    printf("trained %lld batches (global_step %lld: one D and one G optimizer step each) in %.2fs\n",
           (long long)res.batches, (long long)res.global_step, res.fit.seconds);
    printf("d_loss %.4f, g_loss %.4f (means of the last 10%% of steps; D at equilibrium: ln 2 = 0.693)\n",
           res.fit.d_loss_avg, res.fit.g_loss_avg);
    printf("%lld generated points: %.1f%% high quality (within %.2f of a mode), %d/%d modes covered, mean distance "
           "%.3f\nper mode:",
           (long long)q->n, 100 * q->high_quality_fraction, q->hq_radius, q->modes_covered, c.ring.modes,
           q->mean_nearest_dist);
    for (int k = 0; k < c.ring.modes; k++) printf(" %lld", (long long)q->per_mode[k]);
    printf("\n");
    return 0;
}
