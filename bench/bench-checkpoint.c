/*
 * bench-checkpoint — saving and loading a full training checkpoint of a
 * ~110M-parameter f32 model with Adam state (weights + exp_avg + exp_avg_sq:
 * 3x the weights' bytes, ~1.3 GB), against torch.save / torch.load of the
 * same tensors (bench/ref/checkpoint.py) in the same run.
 *
 *     ./build/bench-checkpoint [--repeats N] [--cold-repeats N] [--dir DIR] [--threads T]
 *                              [--ref-python PATH] [--no-ref] [--keep]
 *
 * The model is GPT-2-small shaped with a 32000-token vocabulary: token
 * embedding 32000x768, position embedding 1024x768, 12 blocks of
 * {ln1, q, k, v, o (768x768 + bias), ln2, fc1 3072x768 + bias, fc2 768x3072 +
 * bias}, a final layer norm: 196 tensors, 110,418,432 parameters. The
 * checkpoint holds what lit_trainer_save_checkpoint writes for it after an
 * Adam step: "state_dict.<p>", "optimizer_states.0.{step,exp_avg,exp_avg_sq}.<p>"
 * (784 tensors) and a few values (epoch, global_step, param groups, loops).
 * It is built with lit_checkpoint_put_tensor directly — the same
 * lit_checkpoint_save the Trainer ends in, without a Trainer around it. The
 * reference saves the dict Lightning's dump_checkpoint makes
 * (state_dict, optimizer_states [{state: {i: {step, exp_avg, exp_avg_sq}},
 * param_groups}], epoch, global_step, loops, ...).
 *
 * Measured on both sides, in a fresh temporary directory under DIR (default
 * /tmp; one file system for both):
 *   save    litc: lit_checkpoint_save (tmp file, write, fsync, rename, fsync
 *           of the directory); torch: torch.save(obj, path), then os.fsync of
 *           the file and of its directory (torch does not fsync; the
 *           reference adds it so that both sides pay for the disk).
 *   load    litc: lit_checkpoint_load (read the file, validate it, verify the
 *           CRC-32C); torch: torch.load(path, map_location="cpu",
 *           weights_only=True where the version has it).
 *   resume  load, copy every tensor into preallocated destinations
 *           (lit_checkpoint_read_tensor; torch: Tensor.copy_, what
 *           load_state_dict does), free the loaded checkpoint.
 * Loads are timed warm (the file in the page cache: it was just written) and
 * cold: before each cold load the file's pages are dropped from the page
 * cache with posix_fadvise(POSIX_FADV_DONTNEED) (the file is clean after the
 * fsync, so this works without root; the fraction still resident is printed).
 * Medians of N repeats; the first save is printed as well. Peak RSS is the
 * rise of VmHWM over the resident tensors during each phase
 * (/proc/self/clear_refs resets it).
 *
 * Values come from an integer hash (murmur3's fmix32) that the reference
 * reproduces bit for bit. Validation before timing: the litc file loads back
 * bit-identical (every tensor, every value checked), a bit flipped in the file
 * is refused with a checksum mismatch, and the reference reads every tensor
 * of litc's file with a pure-Python safetensors parser (and a few with the
 * `safetensors` package when it is importable, framework="pt") and finds the
 * values it generated itself; it also checks its own file loads back equal.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "litc/litc.h"

#include "bench-common.h"

#define D_MODEL 768
#define D_FF 3072
#define N_LAYERS 12
#define VOCAB 32000
#define CTX 1024
#define MAX_PARAMS 256
#define N_SLOTS 3 /* weight, exp_avg, exp_avg_sq (+ the 0-d step, not counted) */
#define MAX_REPEATS 51
#define ADAM_STEP 1000.0f

static const float SLOT_BOUND[N_SLOTS] = {0.02f, 1e-3f, 1e-6f};
static const char *const SLOT_NAME[N_SLOTS] = {"state_dict", "exp_avg", "exp_avg_sq"};

/* ---------------------------------------------------------------- the model */

typedef struct {
    char name[64];
    int ndim;
    int64_t shape[2];
    int64_t numel;
} pspec;

static int n_params;
static pspec params[MAX_PARAMS];

static void add_param(const char *name, int ndim, int64_t d0, int64_t d1) {
    LIT_ASSERT(n_params < MAX_PARAMS, "bench-checkpoint: too many parameters");
    pspec *p = &params[n_params++];
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = ndim;
    p->shape[0] = d0;
    p->shape[1] = d1;
    p->numel = ndim == 1 ? d0 : d0 * d1;
}

/* The parameter list, in this order (checkpoint.py: model_spec). */
static void build_spec(void) {
    char n[64];
    add_param("wte.weight", 2, VOCAB, D_MODEL);
    add_param("wpe.weight", 2, CTX, D_MODEL);
    for (int b = 0; b < N_LAYERS; b++) {
#define P1(s, d) (snprintf(n, sizeof n, "blocks.%d.%s", b, s), add_param(n, 1, d, 0))
#define P2(s, d0, d1) (snprintf(n, sizeof n, "blocks.%d.%s", b, s), add_param(n, 2, d0, d1))
        P1("ln1.weight", D_MODEL);
        P1("ln1.bias", D_MODEL);
        static const char *const proj[4] = {"q", "k", "v", "o"};
        for (int j = 0; j < 4; j++) {
            char w[32], bias[32];
            snprintf(w, sizeof w, "attn.%s.weight", proj[j]);
            snprintf(bias, sizeof bias, "attn.%s.bias", proj[j]);
            P2(w, D_MODEL, D_MODEL);
            P1(bias, D_MODEL);
        }
        P1("ln2.weight", D_MODEL);
        P1("ln2.bias", D_MODEL);
        P2("mlp.fc1.weight", D_FF, D_MODEL);
        P1("mlp.fc1.bias", D_FF);
        P2("mlp.fc2.weight", D_MODEL, D_FF);
        P1("mlp.fc2.bias", D_MODEL);
#undef P1
#undef P2
    }
    add_param("ln_f.weight", 1, D_MODEL, 0);
    add_param("ln_f.bias", 1, D_MODEL, 0);
}

typedef struct {
    lit_tensor *t[MAX_PARAMS][N_SLOTS]; /* heap tensors */
    lit_tensor *step[MAX_PARAMS];       /* 0-d f32, as PyTorch's Adam */
} tensors;

static void alloc_tensors(tensors *ts, int fill) {
    for (int k = 0; k < n_params; k++) {
        for (int s = 0; s < N_SLOTS; s++) {
            ts->t[k][s] = lit_tensor_new(NULL, LIT_F32, params[k].ndim, params[k].shape);
            LIT_ASSERT(ts->t[k][s], "bench-checkpoint: %s", lit_last_error());
            if (fill) hash_fill(lit_f32(ts->t[k][s]), params[k].numel, (uint32_t)(3 * k + s + 1), SLOT_BOUND[s], s == 2);
            else memset(lit_f32(ts->t[k][s]), 0xff, (size_t)params[k].numel * 4); /* touch every page */
        }
        ts->step[k] = lit_tensor_new(NULL, LIT_F32, 0, NULL);
        LIT_ASSERT(ts->step[k], "bench-checkpoint: %s", lit_last_error());
        lit_f32(ts->step[k])[0] = fill ? ADAM_STEP : -1.0f;
    }
}

static void free_tensors(tensors *ts) {
    for (int k = 0; k < n_params; k++) {
        for (int s = 0; s < N_SLOTS; s++) lit_tensor_free(ts->t[k][s]);
        lit_tensor_free(ts->step[k]);
    }
}

static void key_of(char *buf, size_t n, int k, int s) {
    if (s == 0) snprintf(buf, n, "state_dict.%s", params[k].name);
    else if (s < N_SLOTS) snprintf(buf, n, "optimizer_states.0.%s.%s", SLOT_NAME[s], params[k].name);
    else snprintf(buf, n, "optimizer_states.0.step.%s", params[k].name);
}

#define CK_OK(expr)                                                                         \
    do {                                                                                    \
        lit_status st_ = (expr);                                                            \
        LIT_ASSERT(st_ >= 0, "bench-checkpoint: %s failed: %s", #expr, lit_last_error()); \
    } while (0)

/* The checkpoint: tensors referenced (no copy), values as the Trainer's. */
static lit_checkpoint *make_checkpoint(const tensors *ts) {
    lit_checkpoint *ck = lit_checkpoint_new();
    LIT_ASSERT(ck, "bench-checkpoint: %s", lit_last_error());
    char key[160];
    for (int k = 0; k < n_params; k++) {
        for (int s = 0; s <= N_SLOTS; s++) {
            key_of(key, sizeof key, k, s);
            CK_OK(lit_checkpoint_put_tensor(ck, key, s < N_SLOTS ? ts->t[k][s] : ts->step[k]));
        }
    }
    CK_OK(lit_checkpoint_set_int(ck, "epoch", 3));
    CK_OK(lit_checkpoint_set_int(ck, "global_step", 1000));
    CK_OK(lit_checkpoint_set_string(ck, "litc_bench", "bench-checkpoint"));
    CK_OK(lit_checkpoint_set_int(ck, "optimizers", 1));
    CK_OK(lit_checkpoint_set_double(ck, "optimizer_param_groups.0.0.lr", 3e-4));
    CK_OK(lit_checkpoint_set_double(ck, "optimizer_param_groups.0.0.beta1", 0.9));
    CK_OK(lit_checkpoint_set_double(ck, "optimizer_param_groups.0.0.beta2", 0.999));
    CK_OK(lit_checkpoint_set_double(ck, "optimizer_param_groups.0.0.eps", 1e-8));
    CK_OK(lit_checkpoint_set_double(ck, "optimizer_param_groups.0.0.weight_decay", 0.0));
    CK_OK(lit_checkpoint_set_int(ck, "optimizer_param_groups.0.0.n_params", n_params));
    CK_OK(lit_checkpoint_set_json(ck, "loops", "{\"fit_loop\": {\"epoch\": 3, \"batch\": 250, \"phase\": \"train\"}}"));
    CK_OK(lit_checkpoint_set_json(ck, "callbacks", "{}"));
    CK_OK(lit_checkpoint_set_json(ck, "hyper_parameters", "{\"d_model\": 768, \"n_layers\": 12, \"vocab\": 32000}"));
    return ck;
}

/* Copy every tensor of `ck` into `dst` (what a resume does). */
static void read_all(const lit_checkpoint *ck, tensors *dst) {
    char key[160];
    for (int k = 0; k < n_params; k++) {
        for (int s = 0; s <= N_SLOTS; s++) {
            key_of(key, sizeof key, k, s);
            CK_OK(lit_checkpoint_read_tensor(ck, key, s < N_SLOTS ? dst->t[k][s] : dst->step[k]));
        }
    }
}

/* ---------------------------------------------------------------- memory, files */

/* VmRSS / VmHWM of this process in KiB (-1 when unreadable). */
static long proc_status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') v = strtol(line + n + 1, NULL, 10);
    fclose(f);
    return v;
}

/* Reset VmHWM to the current RSS; returns the current RSS (KiB) or -1. */
static long reset_peak(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return -1;
    int ok = fputs("5", f) >= 0;
    ok &= fclose(f) == 0;
    return ok ? proc_status_kb("VmRSS") : -1;
}

static int64_t file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* Drop the (clean) file's pages from the page cache; returns the fraction of
 * its pages still resident afterwards (mincore), or -1 on failure. */
static double drop_cache(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    double frac = -1;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && sb.st_size > 0 && fdatasync(fd) == 0 &&
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (m != MAP_FAILED) {
            long page = sysconf(_SC_PAGESIZE);
            size_t pages = ((size_t)sb.st_size + (size_t)page - 1) / (size_t)page, res = 0;
            unsigned char *vec = malloc(pages);
            if (vec && mincore(m, (size_t)sb.st_size, vec) == 0) {
                for (size_t i = 0; i < pages; i++) res += vec[i] & 1;
                frac = (double)res / (double)pages;
            }
            free(vec);
            munmap(m, (size_t)sb.st_size);
        }
    }
    close(fd);
    return frac;
}

/* ---------------------------------------------------------------- reference */

enum { R_SAVE_FIRST, R_SAVE, R_LOAD_WARM, R_LOAD_COLD, R_RESUME_WARM, R_RESUME_COLD, R_BYTES, R_SAVE_PEAK,
       R_LOAD_PEAK, R_PEAK_RSS, R_COLD_RESIDENT,
       /* notes: */
       R_SAVE_NOFSYNC, R_LIGHTNING_SAVE, R_LIGHTNING_SAVE_PEAK, R_MMAP_LOAD_WARM, R_MMAP_RESUME_WARM,
       R_MMAP_RESUME_COLD, R_MMAP_LOAD_PEAK, R_N };
static const char *const REF_KEYS[R_N] = {
    "save_first_s", "save_s", "load_warm_s", "load_cold_s", "resume_warm_s", "resume_cold_s", "file_bytes",
    "save_peak_kb", "load_peak_kb", "peak_rss_kb", "cold_resident",
    "save_nofsync_s", "lightning_save_s", "lightning_save_peak_kb", "mmap_load_warm_s", "mmap_resume_warm_s",
    "mmap_resume_cold_s", "mmap_load_peak_kb",
};
#define R_REQUIRED ((1u << R_SAVE_NOFSYNC) - 1)

typedef struct {
    int ok, failed;
    unsigned got;
    char why[1024];
    char torch_version[64], weights_only[16];
    double v[R_N];
} ref_result;

static void ref_line(void *user, const char *line) {
    ref_result *r = user;
    char key[64];
    double v;
    if (!strncmp(line, "validate ", 9)) {
        printf("validate: pytorch: %s\n", line + 9); /* the reference's own checks */
        if (strstr(line, "FAIL")) r->failed = 1;
    } else if (!strncmp(line, "note ", 5)) {
        printf("pytorch: %s\n", line + 5);
    } else if (sscanf(line, "torch_version %63s", r->torch_version) == 1) {
    } else if (sscanf(line, "weights_only %15s", r->weights_only) == 1) {
    } else if (sscanf(line, "%63s %lf", key, &v) == 2) {
        if (!strcmp(key, "file_bytes")) v /= 1024.0; /* rows print KiB as MiB */
        for (int i = 0; i < R_N; i++)
            if (!strcmp(key, REF_KEYS[i])) r->v[i] = v, r->got |= 1u << i;
    }
}

static void run_reference(const char *python, const char *dir, const char *litc_file, int repeats, int cold,
                          int threads, ref_result *r) {
    memset(r, 0, sizeof *r);
    char cmd[8192], last[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' '%s/bench/ref/checkpoint.py' --dir '%s' --litc-file '%s' --repeats %d --cold-repeats %d "
             "--threads %d 2>&1",
             python, LITC_SOURCE_DIR, dir, litc_file, repeats, cold, threads);
    int status = run_ref_script(python, cmd, ref_line, r, r->why, sizeof r->why, last, sizeof last);
    if (r->why[0]) return;
    if (r->failed) {
        snprintf(r->why, sizeof r->why, "the reference's validation failed (see above)");
        return;
    }
    if (status != 0 || (r->got & R_REQUIRED) != R_REQUIRED) {
        ref_script_failed(r->why, sizeof r->why, "checkpoint.py", status, last);
        return;
    }
    r->ok = 1;
}

/* ---------------------------------------------------------------- main */

static int parse_int(const char *flag, const char *s, int lo, int hi) {
    return parse_int_flag("bench-checkpoint", flag, s, lo, hi);
}

static void time_row(const char *what, double litc, const ref_result *r, int idx) {
    printf("  %-44s %10.3f", what, litc);
    if (r && r->ok && (r->got & (1u << idx)) && r->v[idx] > 0)
        printf("  %10.3f  %8.2fx", r->v[idx], r->v[idx] / litc);
    printf("\n");
}

static void mib_row(const char *what, double litc_kb, const ref_result *r, int idx) {
    printf("  %-44s %10.1f", what, litc_kb / 1024.0);
    if (r && r->ok && (r->got & (1u << idx)) && r->v[idx] > 0)
        printf("  %10.1f  %8.2fx", r->v[idx] / 1024.0, litc_kb / r->v[idx]);
    printf("\n");
}

int main(int argc, char **argv) {
    int repeats = 5, cold = 3, threads = 2, with_ref = 1, keep = 0;
    const char *base = "/tmp", *python = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-ref")) {
            with_ref = 0;
        } else if (!strcmp(a, "--keep")) {
            keep = 1;
        } else if (i + 1 < argc && !strcmp(a, "--repeats")) {
            repeats = parse_int(a, argv[++i], 1, MAX_REPEATS);
        } else if (i + 1 < argc && !strcmp(a, "--cold-repeats")) {
            cold = parse_int(a, argv[++i], 1, MAX_REPEATS);
        } else if (i + 1 < argc && !strcmp(a, "--threads")) {
            threads = parse_int(a, argv[++i], 1, 1024);
        } else if (i + 1 < argc && !strcmp(a, "--dir")) {
            base = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--ref-python")) {
            python = argv[++i];
        } else {
            fprintf(stderr, "bench-checkpoint: unknown or incomplete option '%s'\n"
                            "usage: bench-checkpoint [--repeats N] [--cold-repeats N] [--dir DIR] [--threads T] "
                            "[--ref-python PATH] [--no-ref] [--keep]\n", a);
            return 2;
        }
    }
    lit_set_num_threads(threads);
    build_spec();
    int64_t total = 0, big = 0;
    for (int k = 0; k < n_params; k++) {
        total += params[k].numel;
        if (params[k].numel >= 1 << 20) big++;
    }
    double data_bytes = (double)total * 4 * N_SLOTS + (double)n_params * 4;
    printf("bench-checkpoint: GPT-2-small-shaped model (vocab %d, d %d, %d blocks): %d tensors (%" PRId64
           " of >= 1M elements), %" PRId64 " f32 parameters; checkpoint = weights + Adam step/exp_avg/exp_avg_sq: "
           "%d tensors, %.1f MiB of data; %d repeats (%d cold), %d threads\n",
           VOCAB, D_MODEL, N_LAYERS, n_params, big, total, n_params * (N_SLOTS + 1), data_bytes / 1048576.0,
           repeats, cold, threads);

    /* Space: litc's save holds the old file and the new tmp file at once,
     * then the reference writes its own (and the validation flips a bit). */
    struct statvfs vfs;
    if (statvfs(base, &vfs) != 0) {
        fprintf(stderr, "bench-checkpoint: %s: %s\n", base, strerror(errno));
        return 1;
    }
    double avail = (double)vfs.f_bavail * (double)vfs.f_frsize, need = 4.5 * data_bytes;
    if (avail < need) {
        fprintf(stderr, "bench-checkpoint: %s has %.1f GiB free; this bench needs %.1f GiB (pass --dir)\n", base,
                avail / 1073741824.0, need / 1073741824.0);
        return 1;
    }
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/litc-bench-checkpoint.XXXXXX", base);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench-checkpoint: mkdtemp in %s: %s\n", base, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/litc.ckpt", dir);
    printf("files in %s (%.1f GiB free)\n", dir, avail / 1073741824.0);

    double t_fill = lit_time_now();
    tensors src, dst;
    alloc_tensors(&src, 1);
    alloc_tensors(&dst, 0);
    lit_checkpoint *ck = make_checkpoint(&src);
    printf("setup: tensors filled in %.2f s, RSS %.1f MiB\n", lit_time_now() - t_fill, proc_status_kb("VmRSS") / 1024.0);

    /* ---- first save (timed, printed as "first"), then validate. */
    long base_kb = reset_peak();
    double t0 = lit_time_now();
    CK_OK(lit_checkpoint_save(ck, path));
    double save_first = lit_time_now() - t0;
    long save_peak = proc_status_kb("VmHWM") - base_kb;
    int64_t bytes = file_size(path);

    lit_checkpoint *back;
    CK_OK(lit_checkpoint_load(&back, path));
    read_all(back, &dst);
    int64_t bad = 0;
    for (int k = 0; k < n_params; k++) {
        for (int s = 0; s < N_SLOTS; s++)
            bad += memcmp(lit_f32(src.t[k][s]), lit_f32(dst.t[k][s]), (size_t)params[k].numel * 4) != 0;
        bad += memcmp(lit_f32(src.step[k]), lit_f32(dst.step[k]), 4) != 0;
    }
    int64_t epoch = -1, gstep = -1;
    double lr = 0;
    int64_t batch = -1;
    CK_OK(lit_checkpoint_get_int(back, "epoch", &epoch));
    CK_OK(lit_checkpoint_get_int(back, "global_step", &gstep));
    CK_OK(lit_checkpoint_get_double(back, "optimizer_param_groups.0.0.lr", &lr));
    CK_OK(lit_checkpoint_get_int(back, "loops.fit_loop.batch", &batch));
    int values_ok = epoch == 3 && gstep == 1000 && lr == 3e-4 && batch == 250;
    int count_ok = lit_checkpoint_tensor_count(back) == n_params * (N_SLOTS + 1);
    lit_checkpoint_free(back);
    int ok = bad == 0 && values_ok && count_ok;
    printf("validate: litc file (%" PRId64 " bytes) loads back with its CRC-32C verified: %d tensors, %" PRId64
           " differing, values %s %s\n",
           bytes, lit_checkpoint_tensor_count(ck), bad, values_ok ? "equal" : "DIFFER", ok ? "ok" : "FAIL");
    if (!ok) return 1;

    /* One bit flipped in the middle of the file (tensor data) must be refused. */
    {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        LIT_ASSERT(fd >= 0, "bench-checkpoint: open %s: %s", path, strerror(errno));
        off_t off = (off_t)(bytes / 2);
        unsigned char byte;
        LIT_ASSERT(pread(fd, &byte, 1, off) == 1, "bench-checkpoint: pread failed");
        byte ^= 0x10;
        LIT_ASSERT(pwrite(fd, &byte, 1, off) == 1, "bench-checkpoint: pwrite failed");
        lit_checkpoint *corrupt = NULL;
        lit_status st = lit_checkpoint_load(&corrupt, path);
        int refused = st == LIT_ERR_CORRUPT && strstr(lit_last_error(), "checksum mismatch") != NULL;
        printf("validate: bit 4 of byte %lld flipped -> %s %s\n", (long long)off,
               st < 0 ? lit_last_error() : "loaded", refused ? "ok" : "FAIL");
        byte ^= 0x10;
        LIT_ASSERT(pwrite(fd, &byte, 1, off) == 1 && fsync(fd) == 0, "bench-checkpoint: restoring the byte failed");
        close(fd);
        lit_checkpoint_free(corrupt);
        if (!refused) return 1;
    }

    /* ---- timed saves */
    double saves[MAX_REPEATS];
    for (int r = 0; r < repeats; r++) {
        t0 = lit_time_now();
        CK_OK(lit_checkpoint_save(ck, path));
        saves[r] = lit_time_now() - t0;
    }
    LIT_ASSERT(file_size(path) == bytes, "bench-checkpoint: file size changed between saves");

    /* ---- timed loads: warm (file in the page cache), then cold */
    double load_w[MAX_REPEATS], resume_w[MAX_REPEATS], load_c[MAX_REPEATS], resume_c[MAX_REPEATS];
    double resident = 0;
    long load_peak = 0;
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? cold : repeats;
        for (int r = 0; r < n; r++) {
            if (pass) {
                double f = drop_cache(path);
                if (f > resident) resident = f;
            }
            base_kb = reset_peak();
            t0 = lit_time_now();
            CK_OK(lit_checkpoint_load(&back, path));
            double t1 = lit_time_now();
            read_all(back, &dst);
            lit_checkpoint_free(back);
            double t2 = lit_time_now();
            long pk = proc_status_kb("VmHWM") - base_kb;
            if (pk > load_peak) load_peak = pk;
            (pass ? load_c : load_w)[r] = t1 - t0;
            (pass ? resume_c : resume_w)[r] = t2 - t0;
        }
    }
    lit_checkpoint_free(ck);
    double peak_rss = peak_rss_kb();
    if (isnan(peak_rss)) peak_rss = 0;
    free_tensors(&src);
    free_tensors(&dst);

    double s_med = median(saves, repeats), lw = median(load_w, repeats), rw = median(resume_w, repeats);
    double lc = median(load_c, cold), rc_ = median(resume_c, cold);
    printf("litc:    save %.3f s (first %.3f), load warm %.3f / cold %.3f s, resume warm %.3f / cold %.3f s, "
           "%.1f MB/s saved, %.1f MB/s loaded warm; cold loads: <= %.1f%% of the file still cached after "
           "POSIX_FADV_DONTNEED\n",
           s_med, save_first, lw, lc, rw, rc_, bytes / s_med / 1e6, bytes / lw / 1e6, 100 * resident);

    printf("litc:    samples (s): save+fsync");
    for (int r = 0; r < repeats; r++) printf(" %.3f", saves[r]);
    printf("; load warm");
    for (int r = 0; r < repeats; r++) printf(" %.3f", load_w[r]);
    printf("; load cold");
    for (int r = 0; r < cold; r++) printf(" %.3f", load_c[r]);
    printf("; resume warm");
    for (int r = 0; r < repeats; r++) printf(" %.3f", resume_w[r]);
    printf("; resume cold");
    for (int r = 0; r < cold; r++) printf(" %.3f", resume_c[r]);
    printf("\n");

    ref_result ref;
    memset(&ref, 0, sizeof ref);
    int rc = 0;
    if (with_ref) {
        const char *py = pick_python(python);
        run_reference(py, dir, path, repeats, cold, threads, &ref);
        if (!ref.ok) {
            printf("pytorch: reference skipped: %s\n", ref.why);
            if (strstr(ref.why, "validation failed")) rc = 1;
        } else {
            printf("pytorch: torch %s via %s, torch.load weights_only=%s; cold loads: <= %.1f%% of the file still "
                   "cached\n",
                   ref.torch_version, py, ref.weights_only, 100 * ref.v[R_COLD_RESIDENT]);
        }
    }

    printf("\n  %-44s %10s  %10s  %9s\n", "seconds (median)", "litc", "pytorch", "speedup");
    time_row("save + fsync (first)", save_first, &ref, R_SAVE_FIRST);
    time_row("save + fsync", s_med, &ref, R_SAVE);
    time_row("load, warm page cache", lw, &ref, R_LOAD_WARM);
    time_row("load, cold (FADV_DONTNEED)", lc, &ref, R_LOAD_COLD);
    time_row("resume = load + copy into params/state, warm", rw, &ref, R_RESUME_WARM);
    time_row("resume, cold", rc_, &ref, R_RESUME_COLD);
    printf("  %-44s %10s  %10s  %9s\n", "MiB", "litc", "pytorch", "litc/pt");
    mib_row("file on disk", (double)bytes / 1024.0, &ref, R_BYTES);
    mib_row("peak RSS rise during save", (double)save_peak, &ref, R_SAVE_PEAK);
    mib_row("peak RSS rise during load/resume", (double)load_peak, &ref, R_LOAD_PEAK);
    mib_row("peak RSS of the process", peak_rss, &ref, R_PEAK_RSS);
    if (ref.ok) {
        printf("  notes (pytorch only; speedup = that time / litc's same row):\n");
        if (ref.got & (1u << R_SAVE_NOFSYNC))
            time_row("torch.save without fsync", s_med, &ref, R_SAVE_NOFSYNC);
        if (ref.got & (1u << R_LIGHTNING_SAVE)) {
            time_row("Lightning _atomic_save (BytesIO) + fsync", s_med, &ref, R_LIGHTNING_SAVE);
            mib_row("  its peak RSS rise", (double)save_peak, &ref, R_LIGHTNING_SAVE_PEAK);
        }
        if (ref.got & (1u << R_MMAP_LOAD_WARM)) {
            time_row("torch.load(mmap=True), warm (lazy)", lw, &ref, R_MMAP_LOAD_WARM);
            time_row("mmap load + copy, warm", rw, &ref, R_MMAP_RESUME_WARM);
            time_row("mmap load + copy, cold", rc_, &ref, R_MMAP_RESUME_COLD);
            mib_row("  mmap load + copy: peak RSS rise", (double)load_peak, &ref, R_MMAP_LOAD_PEAK);
        } else {
            printf("  torch.load(mmap=True): not supported by torch %s\n", ref.torch_version);
        }
    }
    printf("  (speedup = pytorch time / litc time, > 1: litc is faster; file bytes and RSS: litc/pytorch)\n");

    if (!keep) {
        unlink(path);
        char other[4200];
        snprintf(other, sizeof other, "%s/torch.ckpt", dir); /* the reference removes its own; just in case */
        unlink(other);
        if (rmdir(dir) != 0) fprintf(stderr, "bench-checkpoint: could not remove %s: %s\n", dir, strerror(errno));
    } else {
        printf("kept %s\n", dir);
    }
    return rc;
}
