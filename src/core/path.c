/*
 * src/core/path.c — confining file paths to a directory, mkdir -p: see
 * path-impl.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path-impl.h"
#include "core/str-impl.h"

/* Append one component to the absolute path `out` ("/" stays one slash). */
static int append_component(char *out, size_t size, const char *name, size_t len) {
    size_t n = strlen(out);
    if (n > 1) out[n++] = '/';
    if (n + len >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(out + n, name, len);
    out[n + len] = 0;
    return 0;
}

/* Drop the last component of the absolute path `out` ("/" stays "/"). */
static void drop_component(char *out) {
    char *slash = strrchr(out, '/');
    if (slash == out) out[1] = 0;
    else if (slash) *slash = 0;
}

/* `path` made absolute against the working directory. */
static int make_absolute(const char *path, char *out, size_t size) {
    if (path[0] == '/') {
        if (strlen(path) >= size) goto too_long;
        strcpy(out, path);
        return 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return -1;
    size_t n = strlen(cwd);
    if (n + 1 + strlen(path) >= size) goto too_long;
    strcpy(out, cwd);
    if (n > 1) out[n++] = '/';
    strcpy(out + n, path);
    return 0;
too_long:
    errno = ENAMETOOLONG;
    return -1;
}

int lit__path_resolve(const char *path, char *out, size_t size) {
    char abs[PATH_MAX], head[PATH_MAX], real[PATH_MAX];
    if (!path || !path[0]) {
        errno = ENOENT;
        return -1;
    }
    if (make_absolute(path, abs, sizeof abs) != 0) return -1;
    /* The longest prefix that exists: realpath resolves it. */
    strcpy(head, abs);
    size_t cut = strlen(head);
    for (;;) {
        if (realpath(cut ? head : "/", real)) break;
        if (errno != ENOENT) return -1;
        char *slash = strrchr(head, '/');
        cut = (size_t)(slash - head);
        head[cut] = 0;
    }
    /* The missing rest, as written. */
    for (const char *q = abs + cut; *q;) {
        q += strspn(q, "/");
        size_t len = strcspn(q, "/");
        if (len == 0) break;
        if (len == 2 && q[0] == '.' && q[1] == '.') drop_component(real);
        else if (!(len == 1 && q[0] == '.') && append_component(real, sizeof real, q, len) != 0) return -1;
        q += len;
    }
    if (strlen(real) >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(out, real);
    return 0;
}

static int has_dotdot_component(const char *path) {
    for (const char *q = path; *q;) {
        q += strspn(q, "/");
        size_t len = strcspn(q, "/");
        if (len == 2 && q[0] == '.' && q[1] == '.') return 1;
        q += len;
    }
    return 0;
}

/* `p` is `dir` itself or below it (both resolved). */
static int within(const char *dir, const char *p) {
    size_t n = strlen(dir);
    if (n == 1) return 1; /* "/" holds everything */
    return !strncmp(p, dir, n) && (p[n] == 0 || p[n] == '/');
}

int lit__path_is_inside(const char *dir, const char *path) {
    char rdir[PATH_MAX], parent[PATH_MAX], rparent[PATH_MAX];
    if (!dir || !path || path[0] != '/' || has_dotdot_component(path)) return 0;
    size_t n = strlen(path);
    if (n >= sizeof parent || path[n - 1] == '/') return 0; /* names a folder, not an entry */
    const char *name = strrchr(path, '/') + 1;
    if (!strcmp(name, ".")) return 0;
    memcpy(parent, path, (size_t)(name - path));
    parent[name - path] = 0;
    if (lit__path_resolve(dir, rdir, sizeof rdir) != 0 || lit__path_resolve(parent, rparent, sizeof rparent) != 0)
        return 0;
    if (!within(rdir, rparent)) return 0;
    /* The entry itself: a symlink must point inside too (never written through, but read through). */
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT;
    if (!S_ISLNK(st.st_mode)) return 1;
    char target[PATH_MAX];
    if (!realpath(path, target)) return 0; /* dangling, or a loop */
    return within(rdir, target) && strcmp(rdir, target) != 0;
}

int lit__mkdirs(const char *path, const char *who) {
    char *p = lit__strdup(path);
    if (!p) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", who);
    size_t n = strlen(p);
    /* Make each prefix ending at a '/', then the whole path. */
    for (size_t i = 1; i <= n; i++) {
        if (i < n && p[i] != '/') continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int err = errno;
            lit_status st = lit_set_error(LIT_ERR_IO, "%s: cannot create directory %s: %s", who, p, strerror(err));
            free(p);
            return st;
        }
        p[i] = c;
    }
    struct stat st;
    lit_status s = LIT_OK;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) s = lit_set_error(LIT_ERR_IO, "%s: %s is not a directory", who, p);
    free(p);
    return s;
}
