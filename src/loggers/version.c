/*
 * src/loggers/version.c — the versioned log directory every logger writes
 * into (Lightning's <save_dir>/<name>/version_<N> with N from
 * _get_next_version), plus the small file helpers the loggers share.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loggers/loggers-impl.h"

char *lit__prefixed_key(const char *prefix, const char *name) {
    if (!prefix || !*prefix) return lit__strdup(name);
    size_t np = strlen(prefix), nn = strlen(name);
    char *k = malloc(np + 1 + nn + 1);
    if (!k) return NULL;
    memcpy(k, prefix, np);
    k[np] = '-';
    memcpy(k + np + 1, name, nn + 1);
    return k;
}

char *lit__path_join(const char *a, const char *b) {
    /* os.path.join(a, "") keeps a trailing separator; we never need that
     * form, so an empty part simply vanishes. */
    if (!a || !*a) return lit__strdup(b ? b : "");
    if (!b || !*b) return lit__strdup(a);
    size_t na = strlen(a), nb = strlen(b);
    int sep = a[na - 1] != '/';
    char *p = malloc(na + (size_t)sep + nb + 1);
    if (!p) return NULL;
    memcpy(p, a, na);
    if (sep) p[na] = '/';
    memcpy(p + na + (size_t)sep, b, nb + 1);
    return p;
}

double lit__wall_time(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}


/* ---------------------------------------------------------------- versions */

/* Lightning: name.startswith("version_") and name.split("_")[1].isdigit():
 * the digits run from after "version_" to the next '_' or the end, so
 * "version_3_old" counts as 3 and "version_x" or "version_" not at all. */
static int parse_version_name(const char *name, int64_t *out) {
    if (strncmp(name, "version_", 8) != 0) return 0;
    const char *c = name + 8;
    const char *end = strchr(c, '_');
    size_t len = end ? (size_t)(end - c) : strlen(c);
    if (len == 0 || len > 18) return 0; /* > 18 digits would overflow int64 */
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (c[i] < '0' || c[i] > '9') return 0;
        v = v * 10 + (c[i] - '0');
    }
    *out = v;
    return 1;
}

lit_status lit_logger_next_version(const char *dir, int64_t *version) {
    if (!dir || !version) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_logger_next_version: dir and version are required");
    *version = 0;
    DIR *dp = opendir(dir);
    if (!dp) {
        /* Lightning: a missing folder means version 0 (with a log line). An
         * unreadable one does too here: the mkdir of the first write then
         * reports the real problem with its path. */
        lit_logf(LIT_LOG_DEBUG, "logger: missing logger folder: %s", dir);
        return LIT_OK;
    }
    int64_t best = -1;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        int64_t v;
        if (!parse_version_name(e->d_name, &v)) continue;
        char *full = lit__path_join(dir, e->d_name);
        if (!full) {
            closedir(dp);
            return lit_set_error(LIT_ERR_NOMEM, "logger: out of memory scanning %s", dir);
        }
        struct stat st;
        int is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
        free(full);
        if (is_dir && v > best) best = v;
    }
    closedir(dp);
    *version = best + 1;
    return LIT_OK;
}

lit_status lit__logdir_init(lit__logdir *d, const char *who, const char *save_dir, const char *name,
                            int64_t version, const char *version_name, const char *sub_dir) {
    memset(d, 0, sizeof *d);
    if (!save_dir || !*save_dir) return lit_set_error(LIT_ERR_CONFIG, "%s: save_dir is required", who);
    d->save_dir = lit__strdup(save_dir);
    d->name = lit__strdup(name ? name : "");
    d->version_name = version_name ? lit__strdup(version_name) : NULL;
    d->sub_dir = sub_dir && *sub_dir ? lit__strdup(sub_dir) : NULL;
    d->version = version < 0 ? -1 : version;
    if (!d->save_dir || !d->name || (version_name && !d->version_name) || (sub_dir && *sub_dir && !d->sub_dir)) {
        lit__logdir_free(d);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", who);
    }
    return LIT_OK;
}

void lit__logdir_free(lit__logdir *d) {
    free(d->save_dir);
    free(d->name);
    free(d->version_name);
    free(d->sub_dir);
    free(d->root);
    free(d->log_dir);
    free(d->write_dir);
    memset(d, 0, sizeof *d);
}

lit_status lit__logdir_resolve(lit__logdir *d) {
    if (d->resolved) return LIT_OK;
    free(d->root);
    d->root = lit__path_join(d->save_dir, d->name);
    if (!d->root) return lit_set_error(LIT_ERR_NOMEM, "logger: out of memory");
    char vbuf[40];
    const char *vdir = d->version_name;
    if (!vdir) {
        if (d->version < 0) LIT_TRY(lit_logger_next_version(d->root, &d->version));
        snprintf(vbuf, sizeof vbuf, "version_%lld", (long long)d->version);
        vdir = vbuf;
    }
    free(d->log_dir);
    free(d->write_dir);
    d->log_dir = lit__path_join(d->root, vdir);
    d->write_dir = d->log_dir && d->sub_dir ? lit__path_join(d->log_dir, d->sub_dir) : lit__strdup(d->log_dir);
    if (!d->log_dir || !d->write_dir) return lit_set_error(LIT_ERR_NOMEM, "logger: out of memory");
    d->resolved = 1;
    return LIT_OK;
}

lit_status lit__logdir_ensure(lit__logdir *d, const char *who) {
    LIT_TRY(lit__logdir_resolve(d));
    if (d->created) return LIT_OK;
    LIT_TRY(lit__mkdirs(d->write_dir, who));
    d->created = 1;
    return LIT_OK;
}

int64_t lit__logdir_version_number(lit__logdir *d) {
    if (d->version_name) return -1;
    if (lit__logdir_resolve(d) < 0) return -1;
    return d->version;
}

const char *lit__logdir_path(lit__logdir *d) {
    if (lit__logdir_resolve(d) < 0) return NULL;
    return d->log_dir;
}

lit_status lit__write_file_atomic(const char *path, const void *data, size_t n, const char *who) {
    size_t len = strlen(path);
    char *tmp = malloc(len + 8);
    if (!tmp) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", who);
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int err = errno;
        free(tmp);
        return lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", who, path, strerror(err));
    }
    int ok = (n == 0 || fwrite(data, 1, n, f) == n);
    ok = (fflush(f) == 0) && ok;
    int err = errno;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        unlink(tmp);
        free(tmp);
        return lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", who, path, strerror(err ? err : EIO));
    }
    if (rename(tmp, path) != 0) {
        err = errno;
        unlink(tmp);
        free(tmp);
        return lit_set_error(LIT_ERR_IO, "%s: cannot rename onto %s: %s", who, path, strerror(err));
    }
    free(tmp);
    return LIT_OK;
}
