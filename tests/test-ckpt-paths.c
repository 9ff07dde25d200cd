/*
 * tests/test-ckpt-paths.c — what a checkpoint's paths and a killed or
 * size-limited save may do to the file system (issue 11, findings 1 and 14).
 *
 * Paths restored from a checkpoint (ModelCheckpoint's last_model_path,
 * kth_best_model_path, best_model_path, best_k_models) are hostile input: a
 * resumed fit must never remove, replace or resume from a file outside the
 * callback's dirpath, whether the path climbs out with "..", is absolute
 * elsewhere, is a symlink inside dirpath pointing out, or runs through a
 * symlinked sub-folder; it is ignored with a warning naming the key and the
 * path. Temporary files of killed saves ("<name>.ckpt.tmp.<pid>", pid gone)
 * are cleared when a fit starts, and nothing else is. Under `ulimit -f` a
 * save fails with a clear error instead of the process dying by SIGXFSZ,
 * and the previous checkpoint stays intact.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "harness.h"
#include "scripted-fit.h"

#include "core/path-impl.h"

static const double SCRIPT[3] = { 0.5, 0.375, 0.25 }; /* val/loss per epoch: each better than the last */

/* ---------------------------------------------------------------- captured warnings */

static char warnings[16384];

static void capture(lit_log_level level, const char *msg, void *user) {
    (void)user;
    if (level < LIT_LOG_WARN) return;
    size_t n = strlen(warnings);
    snprintf(warnings + n, sizeof warnings - n, "%s\n", msg);
}

/* A warning was logged that names both `key` and `path`. */
static int warned_about(const char *key, const char *path) {
    for (const char *line = warnings; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[4096];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        if (strstr(buf, key) && strstr(buf, path)) return 1;
        line += len + (end != NULL);
    }
    return 0;
}

/* ---------------------------------------------------------------- files */

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "cannot create %s", path);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* The file's contents (static buffer), or "(missing)". */
static const char *read_text(const char *path) {
    static char buf[256];
    FILE *f = fopen(path, "r");
    if (!f) return "(missing)";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int is_symlink(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* A pid no process has now: a child that already exited. */
static long dead_pid(void) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, NULL, 0);
    return (long)pid;
}

/*
 * The sandbox every test works in:
 *   root/victim.txt           "<dir>/../../victim.txt" (the example)
 *   root/run/victim.ckpt      "<dir>/../victim.ckpt"
 *   root/outside/victim.ckpt  an absolute path elsewhere
 *   root/run/ckpts            the ModelCheckpoint's dirpath, holding
 *     link.ckpt -> root/outside/victim.ckpt   a symlink pointing out
 *     sub -> root/outside                     a symlinked sub-folder
 */
typedef struct {
    char root[256], run[300], dir[320], outside[300];
} sandbox;

static void sandbox_make(sandbox *b) {
    snprintf(b->root, sizeof b->root, "%s", make_tmp_dir("paths"));
    snprintf(b->run, sizeof b->run, "%s/run", b->root);
    snprintf(b->dir, sizeof b->dir, "%s/ckpts", b->run);
    snprintf(b->outside, sizeof b->outside, "%s/outside", b->root);
    CHECK(mkdir(b->run, 0700) == 0 && mkdir(b->dir, 0700) == 0 && mkdir(b->outside, 0700) == 0);
    write_text(join(b->root, "victim.txt"), "victim 1");
    write_text(join(b->run, "victim.ckpt"), "victim 2");
    write_text(join(b->outside, "victim.ckpt"), "victim 3");
    CHECK(symlink(join(b->outside, "victim.ckpt"), join(b->dir, "link.ckpt")) == 0);
    CHECK(symlink(b->outside, join(b->dir, "sub")) == 0);
}

/* Every victim is still there, unchanged, and so are the two symlinks. */
static void sandbox_check_intact(const sandbox *b, const char *what) {
    CHECK_MSG(!strcmp(read_text(join(b->root, "victim.txt")), "victim 1"), "%s: root/victim.txt changed", what);
    CHECK_MSG(!strcmp(read_text(join(b->run, "victim.ckpt")), "victim 2"), "%s: run/victim.ckpt changed", what);
    CHECK_MSG(!strcmp(read_text(join(b->outside, "victim.ckpt")), "victim 3"), "%s: outside/victim.ckpt changed",
              what);
    CHECK_MSG(is_symlink(join(b->dir, "link.ckpt")), "%s: the symlink ckpts/link.ckpt was removed", what);
    CHECK_MSG(is_symlink(join(b->dir, "sub")), "%s: the symlink ckpts/sub was removed", what);
}

/* The hostile values of a path field, one per way out of dirpath. */
#define N_HOSTILE 5
static void hostile_paths(const sandbox *b, char out[N_HOSTILE][512]) {
    snprintf(out[0], 512, "%s/../../victim.txt", b->dir);
    snprintf(out[1], 512, "%s/../victim.ckpt", b->dir);
    snprintf(out[2], 512, "%s/victim.ckpt", b->outside);
    snprintf(out[3], 512, "%s/link.ckpt", b->dir);
    snprintf(out[4], 512, "%s/sub/victim.ckpt", b->dir);
}

/* ---------------------------------------------------------------- the path check itself */

TEST(path_is_inside_resolves_dotdot_and_symlinks) {
    sandbox b;
    sandbox_make(&b);
    char hostile[N_HOSTILE][512];
    hostile_paths(&b, hostile);
    for (int i = 0; i < N_HOSTILE; i++) CHECK_MSG(!lit__path_is_inside(b.dir, hostile[i]), "inside: %s", hostile[i]);
    CHECK(lit__path_is_inside(b.dir, join(b.dir, "last.ckpt")));            /* not there yet: fine */
    CHECK(lit__path_is_inside(b.dir, join(b.dir, "epoch=1/x.ckpt")));       /* a sub-folder of the template */
    CHECK(!lit__path_is_inside(b.dir, "last.ckpt"));                        /* relative */
    CHECK(!lit__path_is_inside(b.dir, b.dir));                              /* the folder itself */
    CHECK(!lit__path_is_inside(b.dir, join(b.dir, ".")));
    CHECK(!lit__path_is_inside(b.dir, join(b.dir, "x/../last.ckpt")));      /* no ".." at all */
    char sibling[512];                                                      /* a prefix is not a parent */
    snprintf(sibling, sizeof sibling, "%s-other/last.ckpt", b.dir);
    CHECK(!lit__path_is_inside(b.dir, sibling));
    /* a symlink inside pointing inside is fine; a dangling one is not */
    CHECK(symlink(join(b.dir, "real.ckpt"), join(b.dir, "alias.ckpt")) == 0);
    CHECK(!lit__path_is_inside(b.dir, join(b.dir, "alias.ckpt")));
    write_text(join(b.dir, "real.ckpt"), "x");
    CHECK(lit__path_is_inside(b.dir, join(b.dir, "alias.ckpt")));
    /* a symlinked dirpath: what lies in its target is inside */
    char dir_link[512];
    snprintf(dir_link, sizeof dir_link, "%s/ckpts-link", b.root);
    CHECK(symlink(b.dir, dir_link) == 0);
    CHECK(lit__path_is_inside(dir_link, join(b.dir, "real.ckpt")));
    CHECK(lit__path_is_inside(b.dir, join(dir_link, "real.ckpt")));
    CHECK(!lit__path_is_inside(dir_link, join(b.outside, "victim.ckpt")));
    /* resolve: missing components as written, ".." collapsed after the existing part */
    char out[4096];
    char missing[600];
    snprintf(missing, sizeof missing, "%s/ckpts-link/a/./b/../c", b.root);
    CHECK_EQ_INT(lit__path_resolve(missing, out, sizeof out), 0);
    CHECK_STR_EQ(out, join(b.dir, "a/c"));
    sandbox_check_intact(&b, "path check");
    rm_rf(b.root);
}

/* ---------------------------------------------------------------- restored state */

static lit_trainer_params fit_params(const sandbox *b, int64_t epochs) {
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = epochs;
    p.enable_checkpointing = 1;
    p.default_root_dir = b->root;
    return p;
}

static lit_callback make_mc(const sandbox *b, const char *monitor, int save_top_k, int save_last) {
    lit_model_checkpoint_params p = lit_model_checkpoint_default_params();
    p.dirpath = b->dir;
    p.monitor = monitor;
    p.save_top_k = save_top_k;
    p.save_last = save_last;
    lit_callback cb;
    memset(&cb, 0, sizeof cb);
    CHECK_EQ_INT(lit_model_checkpoint_callback(&cb, &p), LIT_OK);
    return cb;
}

/* How each restored path field is used by the next save. */
typedef struct {
    const char *field;
    const char *monitor;
    int save_top_k, save_last;
} field_case;

static const field_case FIELDS[] = {
    { "last_model_path", NULL, 0, 1 },           /* save_last replaces and removes the previous last */
    { "kth_best_model_path", "val/loss", 1, 0 }, /* top-k removes the k-th best */
    { "best_model_path", NULL, 1, 0 },           /* no monitor, top 1: removes the previous best */
};

/*
 * Fit 1 epoch, then forge its checkpoint (checksum recomputed by the save)
 * with `field` = `hostile` and resume it for 2 more epochs: the fit
 * succeeds, warns about the path and leaves every victim as it was.
 */
static void resume_with_hostile(const field_case *fc, int which) {
    sandbox b;
    sandbox_make(&b);
    run_t r;
    run_init(&r, SCRIPT, 3, NULL);
    lit_callback cb = make_mc(&b, fc->monitor, fc->save_top_k, fc->save_last);
    lit_trainer_params tp = fit_params(&b, 1);
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_OK);
    char state_key[512], source[512];
    snprintf(state_key, sizeof state_key, "%s", cb.state_key);
    snprintf(source, sizeof source, "%s", fc->save_last ? lit_model_checkpoint_last_path(&cb)
                                                        : lit_model_checkpoint_best_path(&cb));
    run_free(&r);

    char hostile[N_HOSTILE][512];
    hostile_paths(&b, hostile);
    const char *bad = hostile[which];
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, source), LIT_OK);
    if (!ck) return;
    CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, "callbacks"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, state_key), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, fc->field, bad), LIT_OK);
    lit_checkpoint_reset_scope(ck);
    char forged[512];
    snprintf(forged, sizeof forged, "%s/forged.ckpt", b.root); /* outside dirpath: never a removal candidate */
    CHECK_EQ_INT(lit_checkpoint_save(ck, forged), LIT_OK);
    lit_checkpoint_free(ck);

    warnings[0] = 0;
    lit_log_set_callback(capture, NULL);
    lit_log_level level = lit_log_get_level();
    lit_log_set_level(LIT_LOG_WARN);
    run_init(&r, SCRIPT, 3, NULL);
    cb = make_mc(&b, fc->monitor, fc->save_top_k, fc->save_last);
    tp = fit_params(&b, 3);
    lit_status st = run_fit(&r, &tp, &cb, 1, forged);
    lit_log_set_level(level);
    lit_log_set_callback(NULL, NULL);
    CHECK_MSG(st == LIT_OK, "%s = %s: resume failed: %s", fc->field, bad, lit_last_error());
    CHECK_MSG(warned_about(fc->field, bad), "%s = %s: no warning; got:\n%s", fc->field, bad, warnings);
    sandbox_check_intact(&b, bad);
    run_free(&r);
    rm_rf(b.root);
}

TEST(resumed_paths_outside_dirpath_are_never_removed) {
    for (size_t f = 0; f < sizeof FIELDS / sizeof *FIELDS; f++)
        for (int i = 0; i < N_HOSTILE; i++) resume_with_hostile(&FIELDS[f], i);
}

/* Restored state straight into a callback: every hostile path is dropped
 * (accessors empty, best_k_models keeps only its own files) and neither
 * "last" nor "best" resumes from outside, not even through a last.ckpt
 * symlink pointing out of the folder. */
TEST(hostile_state_is_dropped_with_warnings) {
    sandbox b;
    sandbox_make(&b);
    char hostile[N_HOSTILE][512];
    hostile_paths(&b, hostile);
    CHECK(symlink(join(b.outside, "victim.ckpt"), join(b.dir, "last.ckpt")) == 0);
    char own[512];
    snprintf(own, sizeof own, "%s/epoch=0-step=2.ckpt", b.dir);

    lit_checkpoint *ck = lit_checkpoint_new();
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, "dirpath", b.dir), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, "best_model_path", hostile[0]), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, "kth_best_model_path", hostile[2]), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, "last_model_path", hostile[4]), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_double(ck, "best_model_score", 0.5), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_double(ck, "kth_value", 0.5), LIT_OK);
    char best_k[4096];
    snprintf(best_k, sizeof best_k, "{\"%s\": 0.5, \"%s\": 0.25, \"%s\": 0.125, \"%s\": 0.0625}", own, hostile[1],
             hostile[3], hostile[4]);
    CHECK_EQ_INT(lit_checkpoint_set_json(ck, "best_k_models", best_k), LIT_OK);

    warnings[0] = 0;
    lit_log_set_callback(capture, NULL);
    lit_log_level level = lit_log_get_level();
    lit_log_set_level(LIT_LOG_WARN);
    lit_callback cb = make_mc(&b, "val/loss", 3, 1);
    CHECK_EQ_INT(cb.state_load(&cb, ck), LIT_OK);
    CHECK_STR_EQ(lit_model_checkpoint_best_path(&cb), "");
    CHECK_STR_EQ(lit_model_checkpoint_kth_best(&cb, NULL), "");
    CHECK_STR_EQ(lit_model_checkpoint_last_path(&cb), "");
    CHECK_EQ_INT(lit_model_checkpoint_num_best_k(&cb), 1);
    if (lit_model_checkpoint_num_best_k(&cb) == 1) CHECK_STR_EQ(lit_model_checkpoint_best_k(&cb, 0, NULL), own);
    CHECK(warned_about("best_model_path", hostile[0]));
    CHECK(warned_about("kth_best_model_path", hostile[2]));
    CHECK(warned_about("last_model_path", hostile[4]));
    CHECK(warned_about("best_k_models", hostile[1]));
    CHECK(warned_about("best_k_models", hostile[3]));
    const char *last = cb.checkpoint_path(&cb, NULL, "last");
    const char *best = cb.checkpoint_path(&cb, NULL, "best");
    CHECK_MSG(last == NULL, "resumes \"last\" from %s", last ? last : "");
    CHECK_MSG(best == NULL, "resumes \"best\" from %s", best ? best : "");
    lit_log_set_level(level);
    lit_log_set_callback(NULL, NULL);
    cb.free(&cb);
    lit_checkpoint_free(ck);
    sandbox_check_intact(&b, "state_load");
    rm_rf(b.root);
}

/* dirpath given as a symlink to the real folder: resolved at set-up, so the
 * callback's own files (reached through either name) are still its own and
 * the top-k removal works as before. */
TEST(symlinked_dirpath_is_resolved_once) {
    sandbox b;
    sandbox_make(&b);
    char link[512];
    snprintf(link, sizeof link, "%s/ckpts-link", b.root);
    CHECK(symlink(b.dir, link) == 0);
    lit_model_checkpoint_params p = lit_model_checkpoint_default_params();
    p.dirpath = link;
    p.monitor = "val/loss";
    p.save_top_k = 1;
    lit_callback cb;
    memset(&cb, 0, sizeof cb);
    CHECK_EQ_INT(lit_model_checkpoint_callback(&cb, &p), LIT_OK);
    run_t r;
    run_init(&r, SCRIPT, 3, NULL);
    lit_trainer_params tp = fit_params(&b, 3);
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_OK);
    CHECK_STR_EQ(lit_model_checkpoint_dirpath(&cb), b.dir);
    CHECK_STR_EQ(lit_model_checkpoint_best_path(&cb), join(b.dir, "epoch=2-step=6.ckpt"));
    CHECK_EQ_INT(exists(join(b.dir, "epoch=0-step=2.ckpt")), 0); /* the old best is removed */
    CHECK_EQ_INT(exists(join(b.dir, "epoch=1-step=4.ckpt")), 0);
    run_free(&r);
    sandbox_check_intact(&b, "symlinked dirpath");
    rm_rf(b.root);
}

/* ---------------------------------------------------------------- stale temporary files */

TEST(stale_temporary_files_are_cleared_at_fit_start) {
    sandbox b;
    sandbox_make(&b);
    long gone = dead_pid();
    char name[256];
    /* removed: ours by name, and their writer is gone */
    snprintf(name, sizeof name, "epoch=0-step=2.ckpt.tmp.%ld", gone);
    char stale[512];
    snprintf(stale, sizeof stale, "%s", join(b.dir, name));
    write_text(stale, "half a checkpoint");
    /* kept: a live writer (this process, its parent), not our pattern, not a regular file */
    const char *kept_names[] = { "mine.ckpt.tmp.%ld", "parent.ckpt.tmp.%ld", "foo.ckpt.tmp.abc", "foo.tmp.%ld",
                                 "foo.ckpt.tmp.0%ld", ".ckpt.tmp.%ld", "foo.ckpt.tmp.%ld.bak", "notes.txt" };
    const long kept_pids[] = { (long)getpid(), (long)getppid(), 0, gone, gone, gone, gone, 0 };
    enum { N_KEPT = sizeof kept_names / sizeof *kept_names };
    char kept[N_KEPT][512];
    for (int i = 0; i < N_KEPT; i++) {
        snprintf(name, sizeof name, kept_names[i], kept_pids[i]);
        snprintf(kept[i], sizeof kept[i], "%s", join(b.dir, name));
        write_text(kept[i], "keep me");
    }
    char link[512], folder[512], in_sub[512];
    snprintf(name, sizeof name, "link.ckpt.tmp.%ld", gone); /* the pattern, but a symlink pointing elsewhere */
    snprintf(link, sizeof link, "%s", join(b.dir, name));
    CHECK(symlink(join(b.outside, "victim.ckpt"), link) == 0);
    snprintf(name, sizeof name, "folder.ckpt.tmp.%ld", gone); /* the pattern, but a folder */
    snprintf(folder, sizeof folder, "%s", join(b.dir, name));
    CHECK(mkdir(folder, 0700) == 0);
    snprintf(name, sizeof name, "sub/x.ckpt.tmp.%ld", gone); /* the pattern, in a symlinked sub-folder */
    snprintf(in_sub, sizeof in_sub, "%s", join(b.dir, name));
    write_text(in_sub, "keep me");
    /* OnExceptionCheckpoint's folder is cleared too */
    char oe_dir[512], oe_stale[512];
    snprintf(oe_dir, sizeof oe_dir, "%s/crash", b.run);
    CHECK(mkdir(oe_dir, 0700) == 0);
    snprintf(name, sizeof name, "on_exception.ckpt.tmp.%ld", gone);
    snprintf(oe_stale, sizeof oe_stale, "%s", join(oe_dir, name));
    write_text(oe_stale, "half a checkpoint");

    lit_callback cbs[2];
    cbs[0] = make_mc(&b, NULL, 1, 0);
    CHECK_EQ_INT(lit_on_exception_checkpoint_callback(&cbs[1], oe_dir, NULL), LIT_OK);
    run_t r;
    run_init(&r, SCRIPT, 3, NULL);
    lit_trainer_params tp = fit_params(&b, 1);
    CHECK_EQ_INT(run_fit(&r, &tp, cbs, 2, NULL), LIT_OK);
    run_free(&r);
    CHECK_MSG(!exists(stale), "%s is still there", stale);
    CHECK_MSG(!exists(oe_stale), "%s is still there", oe_stale);
    for (int i = 0; i < N_KEPT; i++)
        CHECK_MSG(!strcmp(read_text(kept[i]), "keep me"), "%s was removed or changed", kept[i]);
    CHECK(is_symlink(link));
    CHECK(exists(folder));
    CHECK(!strcmp(read_text(in_sub), "keep me"));
    CHECK(exists(join(b.dir, "epoch=0-step=2.ckpt"))); /* and the fit saved as usual */
    sandbox_check_intact(&b, "stale temporaries");

    /* the function itself: a count, a missing folder is nothing to do, a symlinked one is refused */
    write_text(stale, "half a checkpoint");
    int n = -1;
    CHECK_EQ_INT(lit_checkpoint_remove_stale_temps(b.dir, &n), LIT_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(lit_checkpoint_remove_stale_temps(join(b.root, "missing"), &n), LIT_OK);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(lit_checkpoint_remove_stale_temps(join(b.dir, "sub"), &n), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "symlink");
    rm_rf(b.root);
}

/* A save from a process that had our pid (a container's pid 1 in every
 * run) is replaced, not a reason to fail forever. */
TEST(own_pid_leftover_does_not_block_the_save) {
    sandbox b;
    sandbox_make(&b);
    char path[512], tmp[600];
    snprintf(path, sizeof path, "%s", join(b.dir, "x.ckpt"));
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    CHECK(symlink(join(b.outside, "victim.ckpt"), tmp) == 0); /* even a symlink: removed, never written through */
    lit_checkpoint *ck = lit_checkpoint_new();
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "epoch", 7), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_save(ck, path), LIT_OK);
    lit_checkpoint_free(ck);
    CHECK(!is_symlink(tmp) && !exists(tmp));
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path), LIT_OK);
    int64_t e = -1;
    if (ck) CHECK_EQ_INT(lit_checkpoint_get_int(ck, "epoch", &e), LIT_OK);
    CHECK_EQ_INT(e, 7);
    lit_checkpoint_free(ck);
    sandbox_check_intact(&b, "own pid leftover");
    rm_rf(b.root);
}

/* A save onto a name that is a symlink pointing out of the folder replaces
 * the link with the new file: the rename never writes through it. */
TEST(save_onto_a_symlink_replaces_the_link) {
    sandbox b;
    sandbox_make(&b);
    lit_checkpoint *ck = lit_checkpoint_new();
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "epoch", 3), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_save(ck, join(b.dir, "link.ckpt")), LIT_OK);
    lit_checkpoint_free(ck);
    CHECK(!is_symlink(join(b.dir, "link.ckpt")));
    CHECK_STR_EQ(read_text(join(b.outside, "victim.ckpt")), "victim 3");
    CHECK_EQ_INT(lit_checkpoint_load(&ck, join(b.dir, "link.ckpt")), LIT_OK);
    lit_checkpoint_free(ck);
    rm_rf(b.root);
}

/* ---------------------------------------------------------------- ulimit -f */

static size_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static int same_bytes(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static void copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    CHECK(in && out);
    for (int c; in && out && (c = fgetc(in)) != EOF;) fputc(c, out);
    if (in) fclose(in);
    if (out) fclose(out);
}

/* In a child with the default SIGXFSZ action and a file size limit below the
 * checkpoint's size, a resumed fit whose save_last must replace last.ckpt
 * fails with a clear error (no signal death), the previous last.ckpt is
 * intact, no temporary file is left, and SIGXFSZ is back to its default. */
TEST(file_size_limit_is_an_error_not_a_signal) {
    sandbox b;
    sandbox_make(&b);
    run_t r;
    run_init(&r, SCRIPT, 3, NULL);
    lit_callback cb = make_mc(&b, NULL, 0, 1);
    lit_trainer_params tp = fit_params(&b, 1);
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_OK);
    run_free(&r);
    char last[512], before[512];
    snprintf(last, sizeof last, "%s", join(b.dir, "last.ckpt"));
    snprintf(before, sizeof before, "%s", join(b.root, "last-before.ckpt"));
    copy_file(last, before);
    size_t size = file_size(last);
    CHECK(size > 512);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_DFL);
        struct rlimit rl = { .rlim_cur = (rlim_t)(size / 2), .rlim_max = (rlim_t)(size / 2) };
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(2);
        lit_log_set_level(LIT_LOG_OFF);
        run_t rc;
        run_init(&rc, SCRIPT, 3, NULL);
        lit_callback c = make_mc(&b, NULL, 0, 1);
        lit_trainer_params p = fit_params(&b, 3);
        lit_status st = run_fit(&rc, &p, &c, 1, "last");
        const char *msg = lit_last_error();
        int clear = st == LIT_ERR_IO && strstr(msg, "ulimit -f") && strstr(msg, last);
        if (!clear) printf("  child: status %d: %s\n", (int)st, msg);
        struct sigaction now;
        sigaction(SIGXFSZ, NULL, &now);
        if (now.sa_handler != SIG_DFL) printf("  child: SIGXFSZ not restored after the fit\n");
        fflush(stdout);
        _exit(clear && now.sa_handler == SIG_DFL ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(!WIFSIGNALED(status), "the child died by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    CHECK_MSG(same_bytes(last, before), "last.ckpt changed");
    CHECK_STR_EQ(files_in(b.dir), "last.ckpt,link.ckpt,sub/victim.ckpt"); /* no temporary file left */
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, last), LIT_OK);
    lit_checkpoint_free(ck);
    rm_rf(b.root);
}

/* lit_checkpoint_save on its own, outside any fit: the same, with no help
 * from the caller (the default SIGXFSZ action). */
TEST(file_size_limit_in_a_plain_save) {
    sandbox b;
    sandbox_make(&b);
    lit_checkpoint *ck = lit_checkpoint_new();
    lit_tensor *w = lit_zeros(LIT_F32, LIT_SHAPE(64, 64));
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "state_dict.w", w), LIT_OK);
    char path[512];
    snprintf(path, sizeof path, "%s", join(b.dir, "w.ckpt"));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_DFL);
        struct rlimit rl = { .rlim_cur = 4096, .rlim_max = 4096 };
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(2);
        lit_status st = lit_checkpoint_save(ck, path);
        int ok = st == LIT_ERR_IO && strstr(lit_last_error(), "file size limit (ulimit -f) was reached writing") &&
                 strstr(lit_last_error(), path);
        if (!ok) printf("  child: status %d: %s\n", (int)st, lit_last_error());
        /* the thread's signal mask is as it was: SIGXFSZ not left blocked */
        sigset_t mask;
        pthread_sigmask(SIG_SETMASK, NULL, &mask);
        if (sigismember(&mask, SIGXFSZ)) printf("  child: SIGXFSZ left blocked\n");
        fflush(stdout);
        _exit(ok && !sigismember(&mask, SIGXFSZ) ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(!WIFSIGNALED(status), "the child died by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    CHECK_EQ_INT(exists(path), 0);
    CHECK_STR_EQ(files_in(b.dir), "link.ckpt,sub/victim.ckpt");
    lit_checkpoint_free(ck);
    lit_tensor_free(w);
    rm_rf(b.root);
}

int main(void) {
    lit_log_set_level(LIT_LOG_ERROR);
    RUN(path_is_inside_resolves_dotdot_and_symlinks);
    RUN(resumed_paths_outside_dirpath_are_never_removed);
    RUN(hostile_state_is_dropped_with_warnings);
    RUN(symlinked_dirpath_is_resolved_once);
    RUN(stale_temporary_files_are_cleared_at_fit_start);
    RUN(own_pid_leftover_does_not_block_the_save);
    RUN(save_onto_a_symlink_replaces_the_link);
    RUN(file_size_limit_is_an_error_not_a_signal);
    RUN(file_size_limit_in_a_plain_save);
    return harness_summary();
}
