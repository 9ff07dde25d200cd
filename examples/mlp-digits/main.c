/*
 * mlp-digits — the first litc model that learns: an MLP on the 8x8 UCI
 * handwritten digits, trained with a plain loop (see train.c and README.md).
 *
 *     ./build/mlp-digits [--data PATH] [--epochs N] [--seed S] [--lr X]
 *                        [--batch-size B] [--threads T]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"
#include "train.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: mlp-digits [options]\n"
            "  --data PATH       digits CSV (default %s)\n"
            "  --epochs N        passes over the training split (default 20)\n"
            "  --seed S          seed of the split, initialisation and shuffling (default 0)\n"
            "  --lr X            Adam peak learning rate, cosine-decayed to 0 (default 3e-3)\n"
            "  --batch-size B    samples per step (default 32)\n"
            "  --threads T       kernel threads (default: litc's, i.e. all cores)\n"
            "  -h, --help        show this help\n",
            MLP_DIGITS_DEFAULT_PATH);
}

/* Parse a whole-string number or explain what was expected. */
static int parse_long(const char *flag, const char *s, long long lo, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo) {
        fprintf(stderr, "mlp-digits: %s expects an integer >= %lld, got '%s'\n", flag, lo, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_u64(const char *flag, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') {
        fprintf(stderr, "mlp-digits: %s expects a non-negative integer, got '%s'\n", flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *flag, const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0)) {
        fprintf(stderr, "mlp-digits: %s expects a positive number such as 3e-3, got '%s'\n", flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Fill *c from argv; returns 0, 1 for --help, or -1 on a usage error. */
static int parse_args(int argc, char **argv, mlp_digits_config *c) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
        /* Accept both "--flag value" and "--flag=value". */
        char flag[32];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        if (eq && (size_t)(eq - a) < sizeof flag) {
            memcpy(flag, a, (size_t)(eq - a));
            flag[eq - a] = 0;
            val = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", a);
        }
        int known = !strcmp(flag, "--data") || !strcmp(flag, "--epochs") || !strcmp(flag, "--seed") ||
                    !strcmp(flag, "--lr") || !strcmp(flag, "--batch-size") || !strcmp(flag, "--threads");
        if (!known) {
            fprintf(stderr, "mlp-digits: unknown option '%s' (valid: --data --epochs --seed --lr --batch-size "
                            "--threads --help)\n", a);
            return -1;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "mlp-digits: %s needs a value\n", flag);
                return -1;
            }
            val = argv[++i];
        }
        long long v;
        if (!strcmp(flag, "--data")) {
            c->data_path = val;
        } else if (!strcmp(flag, "--epochs")) {
            if (parse_long(flag, val, 1, &v)) return -1;
            c->epochs = v > 1000000 ? 1000000 : (int)v;
        } else if (!strcmp(flag, "--seed")) {
            if (parse_u64(flag, val, &c->seed)) return -1;
        } else if (!strcmp(flag, "--lr")) {
            if (parse_double(flag, val, &c->lr)) return -1;
        } else if (!strcmp(flag, "--batch-size")) {
            if (parse_long(flag, val, 1, &v)) return -1;
            c->batch_size = v > 1 << 20 ? 1 << 20 : (int)v;
        } else {
            if (parse_long(flag, val, 1, &v)) return -1;
            c->threads = v > 1024 ? 1024 : (int)v;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    mlp_digits_config c = mlp_digits_default_config();
    c.progress = stdout;
    int r = parse_args(argc, argv, &c);
    if (r > 0) {
        usage(stdout);
        return 0;
    }
    if (r < 0) {
        fprintf(stderr, "run 'mlp-digits --help' for the options\n");
        return 2;
    }
    printf("mlp-digits: MLP 64-%lld-%lld-10 (ReLU), Adam lr %g (cosine decay), batch %d, %d epochs, seed %llu\n",
           (long long)c.hidden[0], (long long)c.hidden[1], c.lr, c.batch_size, c.epochs,
           (unsigned long long)c.seed);
    mlp_digits_result res;
    lit_status st = mlp_digits_train(&c, &res);
    if (st < 0) {
        fprintf(stderr, "mlp-digits: %s: %s\n", lit_status_str(st), lit_last_error());
        return 1;
    }
    printf("trained %lld steps on %lld samples in %.2fs (step arena high water %.1f KiB, %zu chunk mallocs)\n",
           (long long)res.steps, (long long)res.n_train, res.seconds, res.step_arena_bytes / 1024.0,
           res.step_arena_mallocs);
    printf("test accuracy: %.4f (%lld/%lld)\n", res.test_accuracy, (long long)res.correct, (long long)res.n_test);
    return 0;
}
