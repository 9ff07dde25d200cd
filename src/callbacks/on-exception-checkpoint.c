/*
 * src/callbacks/on-exception-checkpoint.c — Lightning 2.x's
 * OnExceptionCheckpoint (lightning/pytorch/callbacks/
 * on_exception_checkpoint.py): save a checkpoint when a run fails, remove
 * it when a run ends normally. See model-checkpoint.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path-impl.h"
#include "litc/callbacks.h"
#include "litc/checkpoint.h"

typedef struct {
    char *path; /* <dirpath>/<filename>.ckpt */
    char *dirpath;
    int failed; /* on_exception ran in this run: teardown keeps the file */
} oe_state;

static void oe_on_exception(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_status failing) {
    (void)m;
    oe_state *s = cb->user;
    s->failed = 1;
    /* The fit reports the failure's message: keep it across the save. */
    char *why = strdup(lit_last_error());
    lit_status st = lit__mkdirs(s->dirpath, "OnExceptionCheckpoint");
    if (st >= 0) st = lit_trainer_save_checkpoint(tr, s->path, 0);
    if (st < 0) lit_logf(LIT_LOG_WARN, "OnExceptionCheckpoint: could not save %s: %s", s->path, lit_last_error());
    else lit_logf(LIT_LOG_INFO, "OnExceptionCheckpoint: saved %s", s->path);
    if (why) {
        lit_set_error(failing, "%s", why);
        free(why);
    }
}

/* A save killed mid-write leaves "<filename>.ckpt.tmp.<pid>" in dirpath: cleared when a fit starts. */
static void remove_stale_temps(const char *dir) {
    char real[PATH_MAX];
    if (lit__path_resolve(dir, real, sizeof real) != 0)
        lit_logf(LIT_LOG_WARN, "OnExceptionCheckpoint: cannot resolve %s: %s", dir, strerror(errno));
    else if (lit_checkpoint_remove_stale_temps(real, NULL) < 0)
        lit_logf(LIT_LOG_WARN, "OnExceptionCheckpoint: %s", lit_last_error());
}

static lit_status oe_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)tr, (void)m;
    oe_state *s = cb->user;
    s->failed = 0;
    if (stage == LIT_STAGE_FIT) remove_stale_temps(s->dirpath);
    return LIT_OK;
}

/* Lightning runs the callbacks' teardown only after a run that did not
 * fail; litc's Trainer also tears down after an interrupt (which calls
 * on_exception first), so a run that failed keeps its file. */
static lit_status oe_teardown(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)tr, (void)m, (void)stage;
    oe_state *s = cb->user;
    if (s->failed) return LIT_OK;
    if (unlink(s->path) != 0 && errno != ENOENT)
        lit_logf(LIT_LOG_WARN, "OnExceptionCheckpoint: could not remove %s: %s", s->path, strerror(errno));
    return LIT_OK;
}

static void oe_free(lit_callback *cb) {
    oe_state *s = cb->user;
    if (!s) return;
    free(s->path);
    free(s->dirpath);
    free(s);
    cb->user = NULL;
}

lit_status lit_on_exception_checkpoint_callback(lit_callback *cb, const char *dirpath, const char *filename) {
    LIT_ASSERT(cb, "lit_on_exception_checkpoint_callback: cb must not be NULL");
    if (!dirpath || !dirpath[0])
        return lit_set_error(LIT_ERR_CONFIG, "OnExceptionCheckpoint: dirpath is required (the folder to save into)");
    if (!filename) filename = "on_exception";
    if (!filename[0]) return lit_set_error(LIT_ERR_CONFIG, "OnExceptionCheckpoint: The filename cannot be empty");
    oe_state *s = calloc(1, sizeof *s);
    size_t n = strlen(dirpath) + strlen(filename) + 8;
    char *path = malloc(n);
    char *dir = strdup(dirpath);
    if (!s || !path || !dir) {
        free(s), free(path), free(dir);
        return lit_set_error(LIT_ERR_NOMEM, "lit_on_exception_checkpoint_callback: out of memory");
    }
    /* os.path.join(dirpath, filename + ".ckpt") */
    size_t dl = strlen(dir);
    snprintf(path, n, "%s%s%s.ckpt", dir, dl && dir[dl - 1] == '/' ? "" : "/", filename);
    s->path = path;
    s->dirpath = dir;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_ON_EXCEPTION_CHECKPOINT_NAME,
        .user = s,
        .setup = oe_setup,
        .on_exception = oe_on_exception,
        .teardown = oe_teardown,
        .free = oe_free,
    };
    return LIT_OK;
}

const char *lit_on_exception_checkpoint_path(const lit_callback *cb) {
    LIT_ASSERT(cb && cb->on_exception == oe_on_exception && cb->user,
               "lit_on_exception_checkpoint_path: the callback is not an OnExceptionCheckpoint or was freed");
    return ((oe_state *)cb->user)->path;
}
