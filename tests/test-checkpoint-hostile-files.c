/*
 * tests/test-checkpoint-hostile-files.c — reading checkpoints that lie or
 * that change underneath the reader (issue 11, findings 11-13), through the
 * library and through `litc info ckpt`:
 *   - a litc checkpoint that lost its "format" entry (one flipped bit in the
 *     key, or the four format entries removed) is refused, never taken for
 *     plain safetensors that skip the checksum; a plain file is said to
 *     carry no checksum;
 *   - a 10 GB / 100 GB sparse file, a FIFO and a device are refused without
 *     reading the data or blocking (each load runs in a child process with
 *     a watchdog alarm, so a hang or a crash fails the test instead of
 *     stopping it);
 *   - a file truncated or rewritten between the header check and the data
 *     read, or in a loop by another process while it is loaded again and
 *     again, gives an error or a verified checkpoint, never a SIGBUS.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tmp-dir.h"
#include "io/safetensors-impl.h"

static char dir[256];
static char litc[4096]; /* the CLI, built next to this test; "" when absent */

/* Generous: each of these loads takes milliseconds once fixed. */
#define WATCHDOG_S 10

static const char *path_in(const char *name) { return join(dir, name); }

static uint8_t *read_all(const char *p, size_t *n) {
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static void write_all(const char *p, const void *b, size_t n) {
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK_EQ_INT(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* A checkpoint as the Trainer writes one: weights of rows x 1024 floats
 * (4 KiB a row; files of 1 MiB and more used to be mapped, data of 32 MiB
 * and more is read by several threads), optimizer state, values. */
static void save_sample(const char *path, int64_t rows) {
    lit_checkpoint *ck = lit_checkpoint_new();
    lit_tensor *w = lit_full(LIT_F32, LIT_SHAPE(rows, 1024), 0.5f);
    lit_tensor *steps = lit_full(LIT_I64, LIT_SHAPE(2), 7);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "state_dict.layer.weight", w), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "optimizer_states.0.step.layer.weight", steps), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "epoch", 3), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "loops.fit_loop.batch", 5), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_save(ck, path), LIT_OK);
    lit_checkpoint_free(ck);
}

/* ---------------------------------------------------------------- a child with a watchdog */

typedef struct {
    int finished;   /* 0: killed (watchdog or crash) */
    int signal;     /* what killed it */
    lit_status rc;  /* lit_checkpoint_load's status */
    char msg[1024]; /* and its message */
    long rss_rise_kb; /* peak RSS of the child over the parent's RSS */
} child_load;

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    if (f) fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* lit_checkpoint_load(path) in a child process killed after WATCHDOG_S. */
static child_load load_in_child(const char *path) {
    child_load r = { 0 };
    int fds[2];
    CHECK(pipe(fds) == 0);
    long rss_before = rss_kb();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        alarm(WATCHDOG_S);
        lit_checkpoint *ck = NULL;
        child_load out = { .finished = 1 };
        out.rc = lit_checkpoint_load(&ck, path);
        snprintf(out.msg, sizeof out.msg, "%s", out.rc < 0 ? lit_last_error() : "");
        lit_checkpoint_free(ck);
        ssize_t w = write(fds[1], &out, sizeof out);
        _exit(w == (ssize_t)sizeof out ? 0 : 1);
    }
    close(fds[1]);
    int status = 0;
    struct rusage ru;
    ssize_t got = read(fds[0], &r, sizeof r);
    close(fds[0]);
    wait4(pid, &status, 0, &ru);
    if (WIFSIGNALED(status)) {
        r.finished = 0;
        r.signal = WTERMSIG(status);
    } else if (got != (ssize_t)sizeof r) {
        r.finished = 0;
    }
    r.rss_rise_kb = ru.ru_maxrss - rss_before;
    return r;
}

#define CHECK_FINISHED(r)                                                                                          \
    CHECK_MSG((r).finished, "the load did not finish: %s", (r).signal == SIGALRM ? "still running after the watchdog" \
                                                           : strsignal((r).signal))

/* Run `litc args...` with a watchdog; its exit code (128 + signal when killed), stdout in out. */
static int run_litc(const char *const *args, char *out, size_t n) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        alarm(WATCHDOG_S); /* survives exec */
        const char *argv[16] = { litc };
        int k = 1;
        for (const char *const *a = args; *a && k < 15; a++) argv[k++] = *a;
        argv[k] = NULL;
        execv(litc, (char *const *)argv);
        _exit(97);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t r;
    while (len + 1 < n && (r = read(fds[0], out + len, n - 1 - len)) > 0) len += (size_t)r;
    out[len] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int info(const char *path, char *out, size_t n) {
    return run_litc((const char *[]){ "info", "ckpt", path, NULL }, out, n);
}

/* ---------------------------------------------------------------- finding 11: the checksum is not optional */

/* The offset of the metadata key `key` (quoted) in a file's header. */
static size_t key_offset(const uint8_t *img, size_t n, const char *key) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    size_t k = strlen(quoted);
    for (size_t i = 8; i + k <= n; i++)
        if (!memcmp(img + i, quoted, k)) return i + 1;
    return 0;
}

TEST(a_flipped_bit_in_the_format_key_is_refused) {
    save_sample(path_in("good.ckpt"), 1);
    size_t n;
    uint8_t *img = read_all(path_in("good.ckpt"), &n);
    size_t at = key_offset(img, n, "format");
    CHECK(at > 0);
    /* Every one of the 48 single-bit flips of "format": once it was read as
     * plain safetensors, whose checksum nobody checks. */
    int accepted = 0;
    for (size_t i = at; i < at + 6; i++) {
        for (int b = 0; b < 8; b++) {
            img[i] ^= (uint8_t)(1u << b);
            lit_checkpoint *ck = NULL;
            lit_status rc = lit_checkpoint_load_buffer(&ck, img, n, "flipped");
            if (rc == LIT_OK) accepted++;
            CHECK_MSG(rc == LIT_ERR_CORRUPT, "flip of bit %d in \"format\"[%zu] ('%c'): %s", b, i - at,
                      (char)img[i], rc == LIT_OK ? "accepted" : lit_status_str(rc));
            lit_checkpoint_free(ck);
            img[i] ^= (uint8_t)(1u << b);
        }
    }
    CHECK_EQ_INT(accepted, 0);
    /* 'r' -> 's': the message says what is wrong and what to do. */
    img[at + 2] ^= 0x01;
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load_buffer(&ck, img, n, "fosmat.ckpt"), LIT_ERR_CORRUPT);
    CHECK_STR_CONTAINS(lit_last_error(), "fosmat.ckpt: a litc checkpoint without its \"format\" entry");
    CHECK_STR_CONTAINS(lit_last_error(), "use an earlier checkpoint");
    /* ...and so does `litc info`, which said "valid: yes". */
    write_all(path_in("fosmat.ckpt"), img, n);
    if (litc[0]) {
        char out[8192];
        CHECK_EQ_INT(info(path_in("fosmat.ckpt"), out, sizeof out), 3);
        CHECK_STR_CONTAINS(out, "valid: no (");
        CHECK_STR_CONTAINS(out, "without its \"format\" entry");
        CHECK_EQ_INT(info(path_in("good.ckpt"), out, sizeof out), 0);
        CHECK_STR_CONTAINS(out, "valid: yes (litc checkpoint format 1, checksum verified)");
    }
    free(img);
}

/* A safetensors file with these tensors (4 floats each) and metadata. */
static void write_plain(const char *path, int n, const char *const *names, int n_meta, const lit_st_meta *meta) {
    static const float data[4] = { 1, 2, 3, 4 };
    lit_st_tensor ts[8];
    for (int i = 0; i < n; i++)
        ts[i] = (lit_st_tensor){ .name = names[i], .dtype = LIT_F32, .ndim = 1, .shape = { 4 }, .data = data };
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK_EQ_INT(lit_safetensors_write_file(f, n, ts, n_meta, meta), LIT_OK);
    fclose(f);
}

static lit_status load_status(const char *path) {
    lit_checkpoint *ck = NULL;
    lit_status rc = lit_checkpoint_load(&ck, path);
    lit_checkpoint_free(ck);
    return rc;
}

TEST(litc_contents_without_the_format_entries_are_refused) {
    const char *p = path_in("stripped.safetensors");
    /* The four format entries removed, the Trainer's tensors kept. */
    write_plain(p, 2, (const char *[]){ "state_dict.layer.weight", "state_dict.layer.bias" }, 0, NULL);
    CHECK_EQ_INT(load_status(p), LIT_ERR_CORRUPT);
    CHECK_STR_CONTAINS(lit_last_error(), "it has the Trainer's tensor \"state_dict.layer.");
    const char *prefixes[] = { "optimizer_states.0.exp_avg.w", "grads.w", "callbacks.EMA.shadow.w" };
    for (int i = 0; i < 3; i++) {
        write_plain(p, 1, &prefixes[i], 0, NULL);
        CHECK_MSG(load_status(p) == LIT_ERR_CORRUPT, "tensor %s: accepted as plain safetensors", prefixes[i]);
    }
    /* Plain tensor names, but one of the Trainer's values or format entries. */
    const char *w[] = { "w" };
    const char *keys[] = { "epoch", "global_step", "loops", "callbacks", "hyper_parameters", "format_version",
                           "litc_version", "checksum" };
    for (int i = 0; i < 8; i++) {
        write_plain(p, 1, w, 1, (lit_st_meta[]){ { keys[i], "1" } });
        CHECK_MSG(load_status(p) == LIT_ERR_CORRUPT, "metadata %s: accepted as plain safetensors", keys[i]);
        CHECK_STR_CONTAINS(lit_last_error(), keys[i]);
    }
    /* The format's value under a damaged key; a key one edit from "format". */
    write_plain(p, 1, w, 1, (lit_st_meta[]){ { "kind", LIT_CHECKPOINT_FORMAT } });
    CHECK_EQ_INT(load_status(p), LIT_ERR_CORRUPT);
    const char *near[] = { "Format", "formt", "formats", "fornat" };
    for (int i = 0; i < 4; i++) {
        write_plain(p, 1, w, 1, (lit_st_meta[]){ { near[i], "pt" } });
        CHECK_MSG(load_status(p) == LIT_ERR_CORRUPT, "metadata key %s: accepted", near[i]);
        CHECK_STR_CONTAINS(lit_last_error(), "is \"format\" with one character changed");
    }
    if (litc[0]) {
        char out[8192];
        write_plain(p, 1, (const char *[]){ "state_dict.w" }, 0, NULL);
        CHECK_EQ_INT(info(p, out, sizeof out), 3);
        CHECK_STR_CONTAINS(out, "valid: no (");
    }
}

TEST(a_plain_weights_file_loads_and_says_it_has_no_checksum) {
    const char *p = path_in("weights.safetensors");
    write_plain(p, 2, (const char *[]){ "fc1.weight", "fc1.bias" }, 1, (lit_st_meta[]){ { "note", "exported" } });
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, p), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_format_version(ck), 0);
    CHECK_EQ_INT(lit_checkpoint_tensor_count(ck), 2);
    lit_checkpoint_free(ck);
    /* litc's own checkpoints may hold keys near the format's. */
    ck = lit_checkpoint_new();
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, "formats", "csv"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_save(ck, path_in("formats.ckpt")), LIT_OK);
    lit_checkpoint_free(ck);
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("formats.ckpt")), LIT_OK);
    const char *v = NULL;
    CHECK_EQ_INT(lit_checkpoint_get_string(ck, "formats", &v), LIT_OK);
    CHECK_STR_EQ(v, "csv");
    lit_checkpoint_free(ck);
    if (litc[0]) {
        char out[8192];
        CHECK_EQ_INT(info(p, out, sizeof out), 0);
        CHECK_STR_CONTAINS(out, "valid: yes (plain safetensors, no checksum: integrity not verified)");
    }
}

/* ---------------------------------------------------------------- finding 12: refuse before reading */

/* A sparse file of `size` bytes (no disk used) starting with `head`. */
static int make_sparse(const char *path, uint64_t size, const void *head, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    int ok = (n == 0 || write(fd, head, n) == (ssize_t)n) && ftruncate(fd, (off_t)size) == 0;
    close(fd);
    return ok ? 0 : -1;
}

TEST(huge_sparse_files_are_refused_without_reading_them) {
    /* A header whose one tensor ends long before the file does. */
    lit_st_tensor t = { .name = "state_dict.w", .dtype = LIT_F32, .ndim = 1, .shape = { 4 },
                        .data = (const float[]){ 1, 2, 3, 4 } };
    uint8_t *hdr;
    size_t hlen;
    uint64_t dlen;
    CHECK_EQ_INT(lit_safetensors_header(1, &t, 0, NULL, &hdr, &hlen, &dlen), LIT_OK);
    const uint64_t GB = 1000ull * 1000 * 1000;
    const uint64_t sizes[] = { 10 * GB, 100 * GB };
    for (int i = 0; i < 2; i++) {
        const char *p = path_in("huge.ckpt");
        /* All zeros: a header length of 0. */
        if (make_sparse(p, sizes[i], NULL, 0) != 0) {
            printf("  skip: this file system cannot hold a sparse %llu-byte file\n", (unsigned long long)sizes[i]);
            break;
        }
        child_load r = load_in_child(p);
        CHECK_FINISHED(r);
        CHECK_EQ_INT(r.rc, LIT_ERR_CORRUPT);
        CHECK_STR_CONTAINS(r.msg, "header length is 0");
        CHECK_MSG(r.rss_rise_kb < 64 * 1024, "rejecting the file took %ld KiB of memory", r.rss_rise_kb);
        /* A valid header, then a hole of (almost) the whole size. */
        CHECK_EQ_INT(make_sparse(p, sizes[i], hdr, hlen), 0);
        r = load_in_child(p);
        CHECK_FINISHED(r);
        CHECK_EQ_INT(r.rc, LIT_ERR_CORRUPT);
        CHECK_STR_CONTAINS(r.msg, "trailing bytes after the last tensor's data");
        CHECK_MSG(r.rss_rise_kb < 64 * 1024, "rejecting the file took %ld KiB of memory", r.rss_rise_kb);
        unlink(p);
    }
    free(hdr);
}

TEST(a_fifo_or_a_device_is_refused_without_blocking) {
    const char *fifo = path_in("ckpt.fifo");
    CHECK(mkfifo(fifo, 0600) == 0);
    /* Nobody writes to the FIFO: an open() without O_NONBLOCK waits forever. */
    child_load r = load_in_child(fifo);
    CHECK_FINISHED(r);
    CHECK_EQ_INT(r.rc, LIT_ERR_IO);
    CHECK_STR_CONTAINS(r.msg, "is a FIFO (named pipe); pass the path of a regular file");
    r = load_in_child("/dev/zero");
    CHECK_FINISHED(r);
    CHECK_EQ_INT(r.rc, LIT_ERR_IO);
    CHECK_STR_CONTAINS(r.msg, "/dev/zero: the file is a character device");
    r = load_in_child(dir);
    CHECK_FINISHED(r);
    CHECK_STR_CONTAINS(r.msg, "is a directory; pass the path of a regular file");
    if (litc[0]) {
        char out[8192];
        CHECK_EQ_INT(info(fifo, out, sizeof out), 3);
        CHECK_STR_CONTAINS(out, "valid: no (");
        CHECK_STR_CONTAINS(out, "a FIFO");
    }
    unlink(fifo);
}

TEST(declared_data_past_the_end_is_refused_before_reading) {
    save_sample(path_in("cut.ckpt"), 1024);
    struct stat sb;
    CHECK(stat(path_in("cut.ckpt"), &sb) == 0);
    CHECK(truncate(path_in("cut.ckpt"), sb.st_size - 1) == 0);
    CHECK_EQ_INT(load_status(path_in("cut.ckpt")), LIT_ERR_CORRUPT);
    CHECK_STR_CONTAINS(lit_last_error(), "end outside the");
}

/* ---------------------------------------------------------------- finding 13: a file that changes */

static void truncate_to_half(const char *path, void *user) {
    (void)user;
    struct stat sb;
    if (stat(path, &sb) == 0 && truncate(path, sb.st_size / 2) != 0) perror("truncate");
}

/* Rewrite one data byte in place, keeping the size; `user` is the offset. */
static void rewrite_one_byte(const char *path, void *user) {
    int fd = open(path, O_WRONLY);
    uint8_t b = 0x5a;
    if (fd < 0 || pwrite(fd, &b, 1, (off_t)(intptr_t)user) != 1) perror("pwrite");
    /* A new mtime even on a coarse clock: the reader compares it. */
    struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_sec = 12345 } };
    if (fd >= 0) futimens(fd, ts);
    if (fd >= 0) close(fd);
}

TEST(a_file_changed_between_header_and_data_is_an_error) {
    const char *p = path_in("moving.ckpt");
    lit_set_num_threads(2);
    /* 4 MiB of data read by one thread, 40 MiB by two. */
    for (int64_t rows = 1024; rows <= 10240; rows *= 10) {
        save_sample(p, rows);
        lit__safetensors_set_read_hook(truncate_to_half, NULL);
        CHECK_EQ_INT(load_status(p), LIT_ERR_IO);
        CHECK_STR_CONTAINS(lit_last_error(), "the file changed while it was being read (it ends at byte");
        save_sample(p, rows);
        struct stat sb;
        CHECK(stat(p, &sb) == 0);
        lit__safetensors_set_read_hook(rewrite_one_byte, (void *)(intptr_t)(sb.st_size - 100));
        CHECK_EQ_INT(load_status(p), LIT_ERR_IO);
        CHECK_STR_CONTAINS(lit_last_error(), "the file changed while it was being read (it was modified)");
        lit__safetensors_set_read_hook(NULL, NULL);
        /* Disarmed: the rewritten file is whole, and its checksum catches the byte. */
        CHECK_EQ_INT(load_status(p), LIT_ERR_CORRUPT);
        CHECK_STR_CONTAINS(lit_last_error(), "checksum mismatch");
        /* A whole file reads back whole. */
        save_sample(p, rows);
        lit_checkpoint *ck = NULL;
        CHECK_EQ_INT(lit_checkpoint_load(&ck, p), LIT_OK);
        lit_tensor *w = ck ? lit_checkpoint_tensor_view(ck, "state_dict.layer.weight") : NULL;
        CHECK(w && w->numel == rows * 1024 && lit_f32(w)[0] == 0.5f && lit_f32(w)[w->numel - 1] == 0.5f);
        lit_checkpoint_free(ck);
    }
    lit_set_num_threads(0);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* `cp x last.ckpt` over and over: truncate, then write the bytes back,
 * then leave the file whole for a moment (so that loads succeed too). */
static void rewrite_forever(const char *path, const uint8_t *img, size_t n) {
    for (;; usleep(5000)) {
        int fd = open(path, O_WRONLY | O_TRUNC);
        if (fd < 0) _exit(1);
        for (size_t done = 0; done < n;) {
            size_t chunk = n - done < 65536 ? n - done : 65536;
            ssize_t w = write(fd, img + done, chunk);
            if (w <= 0) _exit(1);
            done += (size_t)w;
        }
        close(fd);
    }
}

TEST(loading_while_another_process_rewrites_the_file_never_crashes) {
    const char *p = path_in("rewritten.ckpt");
    save_sample(p, 1024);
    size_t n;
    uint8_t *img = read_all(p, &n);
    fflush(stdout);
    pid_t writer = fork();
    if (writer == 0) rewrite_forever(p, img, n);
    /* The reader is a child too, so that a SIGBUS is reported, not fatal. */
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t reader = fork();
    if (reader == 0) {
        close(fds[0]);
        alarm(WATCHDOG_S);
        int counts[3] = { 0 }; /* loaded and equal, refused, loaded but wrong */
        for (double t0 = now_s(); now_s() - t0 < 1.0;) {
            lit_checkpoint *ck = NULL;
            lit_status rc = lit_checkpoint_load(&ck, p);
            if (rc == LIT_OK) {
                int64_t epoch = 0;
                lit_tensor *w = lit_checkpoint_tensor_view(ck, "state_dict.layer.weight");
                int whole = lit_checkpoint_get_int(ck, "epoch", &epoch) == LIT_OK && epoch == 3 && w &&
                            w->numel == 1024 * 1024 && lit_f32(w)[w->numel - 1] == 0.5f;
                counts[whole ? 0 : 2]++;
            } else {
                counts[rc == LIT_ERR_IO || rc == LIT_ERR_CORRUPT ? 1 : 2]++;
            }
            lit_checkpoint_free(ck);
        }
        _exit(write(fds[1], counts, sizeof counts) == (ssize_t)sizeof counts ? 0 : 1);
    }
    close(fds[1]);
    int counts[3] = { 0 }, status = 0;
    ssize_t got = read(fds[0], counts, sizeof counts);
    close(fds[0]);
    waitpid(reader, &status, 0);
    kill(writer, SIGKILL);
    waitpid(writer, NULL, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == (ssize_t)sizeof counts,
              "the reader %s %d", WIFSIGNALED(status) ? "died of signal" : "exited with",
              WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    CHECK_EQ_INT(counts[2], 0); /* never a wrong checkpoint nor another error */
    printf("  1 s of loads during rewrites: %d whole, %d refused\n", counts[0], counts[1]);
    free(img);
}

int main(int argc, char **argv) {
    (void)argc;
    ssize_t len = readlink("/proc/self/exe", litc, sizeof litc - 8);
    if (len > 0) {
        litc[len] = 0;
        strcpy(strrchr(litc, '/') + 1, "litc");
    }
    if (len <= 0 || access(litc, X_OK) != 0) {
        printf("note: %s was not built; the `litc info` checks are skipped\n", len > 0 ? litc : argv[0]);
        litc[0] = 0;
    }
    snprintf(dir, sizeof dir, "%s", make_tmp_dir("hostile-files"));
    RUN(a_flipped_bit_in_the_format_key_is_refused);
    RUN(litc_contents_without_the_format_entries_are_refused);
    RUN(a_plain_weights_file_loads_and_says_it_has_no_checksum);
    RUN(huge_sparse_files_are_refused_without_reading_them);
    RUN(a_fifo_or_a_device_is_refused_without_blocking);
    RUN(declared_data_past_the_end_is_refused_before_reading);
    RUN(a_file_changed_between_header_and_data_is_an_error);
    RUN(loading_while_another_process_rewrites_the_file_never_crashes);
    rm_rf(dir);
    return harness_summary();
}
