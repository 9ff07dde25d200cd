/*
 * tests/test-cli.c — the `litc` command line, run as a program (built next
 * to this test): --print_config round trips (its output fed back gives the
 * same config and a bit-identical run), precedence file < later file <
 * LIT_TRAINER_* < command line, interpolation, the documented errors with
 * their exit codes and positions (and nothing written to disk), config.yaml
 * next to the logs, `litc info ckpt`, `litc version`, --help.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tmp-dir.h"
#include "watchdog.h"

static char litc[4096];
static char dir[256];
static char out_text[1 << 16], err_text[1 << 16];
/* When set, run_litc's child gets alarm(seconds) and (outside ASan) a 16 GiB
 * address-space limit: a run that used to hang or grab all memory fails. */
static unsigned child_watchdog_seconds;

static void read_file(const char *path, char *buf, size_t n) {
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t k = fread(buf, 1, n - 1, f);
    buf[k] = 0;
    fclose(f);
}

static void write_file(const char *name, const char *text) {
    FILE *f = fopen(join(dir, name), "w");
    fputs(text, f);
    fclose(f);
}

/* Run litc with args (NULL-terminated) in `dir`; stdout/stderr captured. */
static int run_litc(const char *const *args) {
    char out_path[512], err_path[512];
    snprintf(out_path, sizeof out_path, "%s/.out", dir);
    snprintf(err_path, sizeof err_path, "%s/.err", dir);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(99);
        if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr)) _exit(98);
        if (child_watchdog_seconds) {
            if (!WATCHDOG_ASAN) {
                struct rlimit rl = { (rlim_t)16 << 30, (rlim_t)16 << 30 };
                setrlimit(RLIMIT_AS, &rl);
            }
            alarm(child_watchdog_seconds);
        }
        const char *argv[64] = { litc };
        int n = 1;
        for (const char *const *a = args; *a && n < 63; a++) argv[n++] = *a;
        argv[n] = NULL;
        execv(litc, (char *const *)argv);
        _exit(97);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    read_file(out_path, out_text, sizeof out_text);
    read_file(err_path, err_text, sizeof err_text);
    unlink(out_path);
    unlink(err_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A short digits run: 2 epochs on a tenth of the data, quiet. */
static const char *BASE =
    "seed_everything: 3\n"
    "trainer:\n"
    "  max_epochs: 2\n"
    "  limit_train_batches: 5\n"
    "  limit_val_batches: 2\n"
    "  enable_progress_bar: false\n"
    "  enable_model_summary: false\n"
    "model:\n"
    "  class_path: DigitsModule\n"
    "  init_args:\n"
    "    hidden: [32, 16]\n"
    "    lr: 0.01\n"
    "    batch_size: ${data.init_args.batch_size}\n"
    "data:\n"
    "  class_path: DigitsDataModule\n"
    "  init_args: {batch_size: 16}\n";

TEST(print_config_round_trips_and_reruns_bit_identically) {
    write_file("base.yaml", BASE);
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "base.yaml", "--print_config", NULL }), 0);
    char first[1 << 16];
    snprintf(first, sizeof first, "%s", out_text);
    CHECK_STR_CONTAINS(first, "batch_size: 16"); /* ${data.init_args.batch_size} resolved */
    CHECK_STR_CONTAINS(first, "  max_epochs: 2\n");
    CHECK_STR_CONTAINS(first, "  log_every_n_steps: 50\n"); /* every default filled in */
    CHECK_STR_CONTAINS(first, "    val_fraction: 0.1\n");
    write_file("full.yaml", first);
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "full.yaml", "--print_config", NULL }), 0);
    CHECK_STR_EQ(out_text, first);

    /* The same run from both files: the same metrics, bit for bit. */
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "base.yaml", "--trainer.default_root_dir=a", NULL }),
                 0);
    char csv_a[1 << 14], csv_b[1 << 14], saved[1 << 16];
    read_file(join(dir, "a/lightning_logs/version_0/metrics.csv"), csv_a, sizeof csv_a);
    read_file(join(dir, "a/lightning_logs/version_0/config.yaml"), saved, sizeof saved);
    CHECK_STR_CONTAINS(saved, "DigitsModule");
    CHECK_STR_CONTAINS(saved, "default_root_dir: 'a'");
    write_file("saved.yaml", saved);
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "saved.yaml", "--trainer.default_root_dir=b", NULL }),
                 0);
    read_file(join(dir, "b/lightning_logs/version_0/metrics.csv"), csv_b, sizeof csv_b);
    CHECK(strlen(csv_a) > 100);
    CHECK_STR_EQ(csv_a, csv_b);
    CHECK_STR_CONTAINS(out_text, "fit: 2 epochs, 10 steps");
}

TEST(precedence_file_later_file_env_command_line) {
    write_file("base.yaml", BASE);
    write_file("more.yaml", "trainer:\n  max_epochs: 3\n  accumulate_grad_batches: 2\n");
    const char *args[] = { "fit", "--config", "base.yaml", "--config", "more.yaml", "--print_config", NULL };
    CHECK_EQ_INT(run_litc(args), 0);
    CHECK_STR_CONTAINS(out_text, "  max_epochs: 3\n");
    CHECK_STR_CONTAINS(out_text, "  accumulate_grad_batches: 2\n");
    CHECK_STR_CONTAINS(out_text, "  limit_val_batches: 2\n"); /* merged, not replaced */
    setenv("LIT_TRAINER_MAX_EPOCHS", "4", 1);
    CHECK_EQ_INT(run_litc(args), 0);
    CHECK_STR_CONTAINS(out_text, "  max_epochs: 4\n");
    const char *cli[] = { "fit", "--config", "base.yaml", "--config", "more.yaml", "--trainer.max_epochs=5",
                          "--model.init_args.hidden", "[8, 4]", "--print_config", NULL };
    CHECK_EQ_INT(run_litc(cli), 0);
    CHECK_STR_CONTAINS(out_text, "  max_epochs: 5\n");
    CHECK_STR_CONTAINS(out_text, "    hidden: [8, 4]\n");
    unsetenv("LIT_TRAINER_MAX_EPOCHS");
    setenv("DIGITS_BS", "8", 1);
    write_file("env.yaml", "data:\n  init_args:\n    batch_size: ${oc.env:DIGITS_BS,64}\n");
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "base.yaml", "--config", "env.yaml", "--print_config",
                                            NULL }),
                 0);
    CHECK_STR_CONTAINS(out_text, "    batch_size: 8\n");
    unsetenv("DIGITS_BS");
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "base.yaml", "--config", "env.yaml", "--print_config",
                                            NULL }),
                 0);
    CHECK_STR_CONTAINS(out_text, "    batch_size: 64\n");
}

/* Each documented error: its exit code, a message naming the place, and
 * nothing written. */
static void expect_error(const char *yaml, const char *const *extra, int code, const char *needle) {
    write_file("bad.yaml", yaml);
    const char *args[16] = { "fit", "--config", "bad.yaml" };
    int n = 3;
    for (const char *const *e = extra; e && *e; e++) args[n++] = *e;
    args[n] = NULL;
    int rc = run_litc(args);
    CHECK_MSG(rc == code, "exit %d, want %d for %s (stderr: %s)", rc, code, needle, err_text);
    CHECK_STR_CONTAINS(err_text, needle);
    struct stat sb;
    CHECK_MSG(stat(join(dir, "lightning_logs"), &sb) != 0, "%s: something was written", needle);
}

TEST(documented_errors) {
    expect_error("trainer:\n  max_epoch: 2\nmodel: DigitsModule\ndata: DigitsDataModule\n", NULL, 2,
                 "did you mean 'max_epochs'");
    expect_error("trainer:\n  max_epoch: 2\nmodel: DigitsModule\ndata: DigitsDataModule\n", NULL, 2, "bad.yaml:2:3");
    expect_error("trainer: {max_epochs: three}\nmodel: DigitsModule\ndata: DigitsDataModule\n", NULL, 2,
                 "bad.yaml:1:23: trainer.max_epochs: expected an integer");
    expect_error("model: {class_path: DigitModule}\ndata: DigitsDataModule\n", NULL, 2, "did you mean 'DigitsModule'");
    expect_error("model: DigitsModule\ndata: {class_path: DigitsDataModule, init_args: {batch_sise: 4}}\n", NULL, 2,
                 "did you mean 'batch_size'");
    expect_error("trainer:\n  callbacks:\n    - class_path: EarlyStopping\nmodel: DigitsModule\ndata: DigitsDataModule\n",
                 NULL, 2, "missing required argument 'monitor'");
    expect_error("trainer: [1, 2\n", NULL, 2, "bad.yaml:");
    expect_error("modell: DigitsModule\n", NULL, 2, "did you mean 'model'");
    expect_error("model: DigitsModule\ndata: DigitsDataModule\n", (const char *[]){ "--trainer.max_epochs", NULL }, 2,
                 "needs a value");
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "missing.yaml", NULL }), 2);
    CHECK_STR_CONTAINS(err_text, "missing.yaml");
    /* A data error (the CSV does not exist) is exit code 3, at run time. */
    write_file("data.yaml", "model: DigitsModule\ndata: {class_path: DigitsDataModule, init_args: {data_path: /no/such.csv}}\n"
                            "trainer: {enable_progress_bar: false, logger: false, enable_checkpointing: false}\n");
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "data.yaml", NULL }), 3);
    CHECK_STR_CONTAINS(err_text, "/no/such.csv");
    CHECK_EQ_INT(run_litc((const char *[]){ "fitt", NULL }), 2);
    CHECK_STR_CONTAINS(err_text, "did you mean 'fit'");
}

TEST(info_version_and_help) {
    CHECK_EQ_INT(run_litc((const char *[]){ "version", NULL }), 0);
    CHECK_STR_EQ(out_text, "litc " LIT_VERSION_STRING "\n");
    write_file("base.yaml", BASE);
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "base.yaml", "--trainer.default_root_dir=c",
                                            "--trainer.logger=false", NULL }),
                 0);
    CHECK_STR_CONTAINS(out_text, "best checkpoint: ");
    char *path = strstr(out_text, "best checkpoint: ") + strlen("best checkpoint: ");
    char ckpt[1024];
    snprintf(ckpt, sizeof ckpt, "%.*s", (int)strcspn(path, "\n"), path);
    CHECK_EQ_INT(run_litc((const char *[]){ "info", "ckpt", ckpt, NULL }), 0);
    CHECK_STR_CONTAINS(out_text, "valid: yes (litc checkpoint format 1, checksum verified)");
    CHECK_STR_CONTAINS(out_text, "state_dict.mlp.layers.0.weight");
    CHECK_STR_CONTAINS(out_text, "global_step");
    /* A damaged copy. */
    char copy[1100];
    snprintf(copy, sizeof copy, "%s.bad", ckpt);
    FILE *in = fopen(ckpt, "rb"), *out = fopen(copy, "wb");
    int c, k = 0;
    while (in && (c = fgetc(in)) != EOF) fputc(k++ == 3000 ? c ^ 0x40 : c, out);
    if (in) fclose(in);
    fclose(out);
    CHECK_EQ_INT(run_litc((const char *[]){ "info", "ckpt", copy, NULL }), 3);
    CHECK_STR_CONTAINS(out_text, "valid: no");
    /* test with the checkpoint's weights: the same val metrics the fit ended with. */
    char arg[1200];
    snprintf(arg, sizeof arg, "--ckpt_path=%s", ckpt);
    CHECK_EQ_INT(run_litc((const char *[]){ "test", "--config", "base.yaml", arg, "--trainer.logger=false", NULL }), 0);
    CHECK_STR_CONTAINS(out_text, "test/acc ");
    CHECK_EQ_INT(run_litc((const char *[]){ "test", "--config", "base.yaml", "--ckpt_path=best", NULL }), 2);
    CHECK_STR_CONTAINS(err_text, "known only inside a fit");
    /* A feature this build lacks is a config error. */
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "base.yaml", "--trainer.accelerator=gpu",
                                            "--print_config", NULL }),
                 2);
    CHECK_STR_CONTAINS(err_text, "accelerator");
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--help", NULL }), 0);
    CHECK_STR_CONTAINS(out_text, "max_epochs");
    CHECK_STR_CONTAINS(out_text, "ModelCheckpoint");
    CHECK_STR_CONTAINS(out_text, "DigitsModule");
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--help=ModelCheckpoint", NULL }), 0);
    CHECK_STR_CONTAINS(out_text, "monitor");
    CHECK_STR_CONTAINS(out_text, "save_top_k");
}

/* SIGTERM during fit: a checkpoint is written and the exit code is 4. */
TEST(a_signal_stops_the_fit_with_a_checkpoint) {
    write_file("base.yaml", BASE);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(99);
        if (!freopen("/dev/null", "w", stdout) || !freopen(join(dir, ".err"), "w", stderr)) _exit(98);
        execl(litc, litc, "fit", "--config", "base.yaml", "--trainer.max_epochs=100000",
              "--trainer.default_root_dir=sig", (char *)NULL);
        _exit(97);
    }
    /* Training has started once the loggers wrote their first files. */
    for (int i = 0; i < 400 && !exists(join(dir, "sig/lightning_logs/version_0/metrics.csv")); i++) usleep(25000);
    CHECK(exists(join(dir, "sig/lightning_logs/version_0/metrics.csv")));
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 4, "status %d", status);
    read_file(join(dir, ".err"), err_text, sizeof err_text);
    CHECK_STR_CONTAINS(err_text, "fit interrupted by SIGTERM");
    CHECK_STR_CONTAINS(err_text, "checkpoint written to");
}

/* Issue 11 findings 6, 7, 8 through the command line: each hostile input
 * ends with its message and exit code, within a watchdog. */
TEST(hostile_inputs_end_with_clear_errors) {
    child_watchdog_seconds = 60;
    /* 6: a 4 TiB layer is an out-of-memory error naming it, not SIGABRT. An
     * ASan build's allocator returns NULL for it only when asked to. */
    const char *asan = getenv("ASAN_OPTIONS");
    char saved_asan[1024] = "", opts[1200];
    if (asan) snprintf(saved_asan, sizeof saved_asan, "%s", asan);
    snprintf(opts, sizeof opts, "%s%sallocator_may_return_null=1", saved_asan, saved_asan[0] ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    write_file("base.yaml", BASE);
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "base.yaml", "--model.init_args.hidden=[1048576, 1048576]",
                                            NULL }),
                 1);
    CHECK_STR_CONTAINS(err_text, "out of memory allocating parameter 'mlp.layers.1.weight' (1048576, 1048576) f32 "
                                 "tensor (4.0 TiB)");
    if (asan) setenv("ASAN_OPTIONS", saved_asan, 1);
    else unsetenv("ASAN_OPTIONS");

    /* 7: an empty LIT_TRAINER_MAX_EPOCHS is ignored: the config's 2 epochs. */
    setenv("LIT_TRAINER_MAX_EPOCHS", "", 1);
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "base.yaml", "--print_config", NULL }), 0);
    CHECK_STR_CONTAINS(out_text, "  max_epochs: 2\n");
    unsetenv("LIT_TRAINER_MAX_EPOCHS");

    /* 8: device files as the config or the data. */
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "/dev/zero", NULL }), 2);
    CHECK_STR_CONTAINS(err_text, "/dev/zero: the config is a character device; pass the path of a regular file");
    CHECK_EQ_INT(run_litc((const char *[]){ "fit", "--config", "base.yaml", "--data.init_args.data_path=/dev/zero",
                                            NULL }),
                 3);
    CHECK_STR_CONTAINS(err_text, "/dev/zero: the digits data is a character device");
    child_watchdog_seconds = 0;
}

int main(void) {
    ssize_t len = readlink("/proc/self/exe", litc, sizeof litc - 8);
    if (len <= 0) return 1;
    litc[len] = 0;
    strcpy(strrchr(litc, '/') + 1, "litc");
    if (access(litc, X_OK) != 0) {
        printf("skip: %s was not built (target litc_cli)\n", litc);
        return HARNESS_SKIP_CODE;
    }
    snprintf(dir, sizeof dir, "%s", make_tmp_dir("cli"));
    RUN(print_config_round_trips_and_reruns_bit_identically);
    rm_rf(dir);
    mkdir(dir, 0700);
    RUN(precedence_file_later_file_env_command_line);
    RUN(documented_errors);
    RUN(info_version_and_help);
    RUN(a_signal_stops_the_fit_with_a_checkpoint);
    RUN(hostile_inputs_end_with_clear_errors);
    rm_rf(dir);
    return harness_summary();
}
