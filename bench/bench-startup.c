/*
 * bench/bench-startup.c — from process start to the first training step:
 * `litc fit` on the digits config stopped after one optimizer step (the
 * whole process: start-up, config, registry, data loading, one step, exit —
 * an upper bound of the time to the first step) against
 * `python -c "import torch"` alone (no model, no data, no step), side by
 * side, medians of --repeats runs.
 *
 *     ./build/bench-startup [--repeats N] [--litc PATH] [--ref-python PATH] [--no-ref]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-common.h"
#include "litc/core.h"

/* Run argv with stdout/stderr to /dev/null; wall seconds, or -1 on failure. */
static double time_command(char *const argv[]) {
    fflush(stdout); /* the child must not print our buffered lines again */
    double t0 = lit_time_now();
    pid_t pid = fork();
    if (pid == 0) {
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        null = freopen("/dev/null", "w", stderr);
        (void)null;
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) return -1;
    double t = lit_time_now() - t0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

/* The scratch folder and the config.yaml each run wrote there. */
static void remove_scratch(const char *dir) {
    char path[128];
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    unlink(path);
    if (rmdir(dir) != 0) fprintf(stderr, "bench-startup: could not remove %s (left behind)\n", dir);
}

int main(int argc, char **argv) {
    int repeats = 9, no_ref = 0;
    /* litc is built next to this bench. */
    static char litc_default[4096];
    ssize_t len = readlink("/proc/self/exe", litc_default, sizeof litc_default - 8);
    if (len > 0) {
        litc_default[len] = 0;
        char *slash = strrchr(litc_default, '/');
        if (slash) strcpy(slash + 1, "litc");
    } else {
        strcpy(litc_default, "build/litc");
    }
    const char *litc = litc_default, *python = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--litc") && i + 1 < argc) litc = argv[++i];
        else if (!strcmp(argv[i], "--ref-python") && i + 1 < argc) python = argv[++i];
        else if (!strcmp(argv[i], "--no-ref")) no_ref = 1;
        else {
            fprintf(stderr, "usage: bench-startup [--repeats N] [--litc PATH] [--ref-python PATH] [--no-ref]\n");
            return 2;
        }
    }
    if (repeats < 1 || repeats > 100) repeats = 9;
    if (access(litc, X_OK) != 0) {
        fprintf(stderr, "bench-startup: %s not found (build it, or pass --litc)\n", litc);
        return 1;
    }
    char cfg[512];
    snprintf(cfg, sizeof cfg, "%s/examples/mlp-digits/config.yaml", LITC_SOURCE_DIR);
    /* The run's config.yaml goes to a scratch folder, not the cwd. */
    char scratch[] = "/tmp/bench-startup-XXXXXX", root_arg[64];
    if (!mkdtemp(scratch)) {
        perror("bench-startup: mkdtemp");
        return 1;
    }
    snprintf(root_arg, sizeof root_arg, "--trainer.default_root_dir=%s", scratch);
    char *litc_argv[] = { (char *)litc, "fit", "--config", cfg, root_arg, "--trainer.max_steps=1",
                          "--trainer.limit_val_batches=0", "--trainer.num_sanity_val_steps=0",
                          "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
                          "--trainer.enable_checkpointing=false", "--trainer.callbacks=[]", "--trainer.logger=false", NULL };
    /* Validate: the command trains one step and exits 0. */
    if (time_command(litc_argv) < 0) {
        fprintf(stderr, "bench-startup: `%s fit --config %s --trainer.max_steps=1 ...` failed\n", litc, cfg);
        remove_scratch(scratch);
        return 1;
    }
    double t_litc[100], t_py[100];
    int n_py = 0;
    for (int r = 0; r < repeats; r++) t_litc[r] = time_command(litc_argv);
    double litc_med = median(t_litc, repeats);
    printf("bench-startup: litc fit (digits config, 1 optimizer step, then exit): median of %d runs\n", repeats);
    printf("  litc fit to the end of step 1     %8.1f ms\n", litc_med * 1e3);
    if (!no_ref) {
        const char *py = pick_python(python);
        char *py_argv[] = { (char *)py, "-c", "import torch", NULL };
        if (py && time_command(py_argv) >= 0) {
            for (int r = 0; r < repeats; r++) {
                double t = time_command(py_argv);
                if (t >= 0) t_py[n_py++] = t;
            }
        }
        if (n_py) {
            double py_med = median(t_py, n_py);
            printf("  python -c \"import torch\" (%s) %8.1f ms\n", py, py_med * 1e3);
            printf("ratio: litc's whole run to its first step takes %.3fx the time of importing torch "
                   "(%.1fx faster)\n", litc_med / py_med, py_med / litc_med);
        } else {
            printf("reference: skipped (no python with torch found)\n");
        }
    }
    remove_scratch(scratch);
    return 0;
}
