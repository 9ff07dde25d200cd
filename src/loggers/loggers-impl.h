/*
 * src/loggers/loggers-impl.h — what the loggers share: the versioned log
 * directory (version.c), checked file writes (with core's lit__buf) and
 * PyYAML's dump of the hyperparameters (hparams-yaml.c).
 */
#ifndef LITC_LOGGERS_IMPL_H
#define LITC_LOGGERS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf-impl.h"  /* lit__buf, the growable byte buffer */
#include "core/path-impl.h" /* lit__mkdirs */
#include "core/str-impl.h"  /* lit__strdup, lit__format_pyfloat */
#include "litc/loggers.h"

/* ---------------------------------------------------------------- log dir */

/* <save_dir>/<name>/<version>[/<sub_dir>], decided lazily. */
typedef struct {
    char *save_dir, *name, *version_name, *sub_dir; /* owned copies */
    int64_t version;  /* < 0 until resolved when automatic */
    char *root;       /* <save_dir>/<name> (or save_dir) once resolved */
    char *log_dir;    /* <root>/<version> once resolved */
    char *write_dir;  /* log_dir[/<sub_dir>] once resolved */
    int resolved;
    int created;      /* write_dir made */
} lit__logdir;

/* Copies the strings; LIT_ERR_CONFIG when save_dir is NULL or "". */
lit_status lit__logdir_init(lit__logdir *d, const char *who, const char *save_dir, const char *name,
                            int64_t version, const char *version_name, const char *sub_dir);
void lit__logdir_free(lit__logdir *d);
/* Decide the version (scanning root once) and build the paths. */
lit_status lit__logdir_resolve(lit__logdir *d);
/* resolve + make write_dir with its parents; LIT_ERR_IO naming the path. */
lit_status lit__logdir_ensure(lit__logdir *d, const char *who);
/* The vtable accessors' answers (-1 for a string version; NULL on out of memory). */
int64_t lit__logdir_version_number(lit__logdir *d);
const char *lit__logdir_path(lit__logdir *d);
/* malloc'd "a/b" ("b" when a is ""); NULL on out of memory. */
char *lit__path_join(const char *a, const char *b);
/* Lightning's _add_prefix: malloc'd "prefix-name", or a copy of name when
 * prefix is NULL or ""; NULL on out of memory. */
char *lit__prefixed_key(const char *prefix, const char *name);
/* Unix time in seconds (CLOCK_REALTIME). */
double lit__wall_time(void);

/* ---------------------------------------------------------------- files */

/* Write the whole buffer to `path` through a temporary file renamed over
 * it (a crash never leaves half a file under the final name); every step
 * checked: LIT_ERR_IO naming the path. */
lit_status lit__write_file_atomic(const char *path, const void *data, size_t n, const char *who);

/* ---------------------------------------------------------------- hparams */

/* A copy of the hyperparameters so far, merged like dict.update (a known
 * name keeps its place and takes the new value). */
typedef struct {
    int n, cap;
    lit_logger_hparam *hp; /* names and strings owned */
} lit__hparams;

lit_status lit__hparams_update(lit__hparams *h, int n, const lit_logger_hparam *hp);
void lit__hparams_free(lit__hparams *h);
/* yaml.dump(hparams) (PyYAML 5.1+ defaults: block style, sorted keys,
 * width 80, allow_unicode=False) into b. */
void lit__hparams_yaml(lit__buf *b, const lit__hparams *h);
/* Write <dir>/hparams.yaml. */
lit_status lit__save_hparams_yaml(const char *dir, const lit__hparams *h, const char *who);

#endif
