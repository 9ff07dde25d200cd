/*
 * src/core/path-impl.h — confining file paths to a directory (not part of
 * the public API), and making directories (lit__mkdirs).
 *
 * Paths read from a checkpoint or a config are untrusted (design.md §2):
 * before litc removes, replaces or reads a file such a path names, it checks
 * with lit__path_is_inside that the file lies in the directory it owns,
 * with every symlink resolved, so "<dir>/../../victim", "/etc/passwd", a
 * symlinked sub-folder or a symlink pointing out of the folder never reach
 * a file outside it.
 *
 * Intended usage:
 *
 *     if (!lit__path_is_inside(my_dir, path_from_checkpoint)) {
 *         lit_logf(LIT_LOG_WARN, "ignoring %s: not inside %s", path_from_checkpoint, my_dir);
 *         return;
 *     }
 *     unlink(path_from_checkpoint);
 */
#ifndef LITC_CORE_PATH_IMPL_H
#define LITC_CORE_PATH_IMPL_H

#include <stddef.h>

#include "litc/core.h"

/* Python's os.path.realpath: `path` made absolute (against the working
 * directory), every symlink of its existing part resolved; the components
 * that do not exist (yet) are appended as written, "." dropped and ".."
 * taking one back (a missing component has no symlink to follow). Writes
 * at most `size` bytes (NUL included) to out. Returns 0, or -1 with errno
 * (ENAMETOOLONG, EACCES, ENOTDIR, ELOOP, ...). */
int lit__path_resolve(const char *path, char *out, size_t size);

/* 1 when `path` names an entry strictly inside directory `dir` (or below
 * it): `path` is absolute and has no ".." component, its parent resolves
 * (lit__path_resolve) to dir's resolved form or below it, and the entry,
 * when it is a symlink, resolves inside dir as well (a dangling link does
 * not). 0 otherwise, including on any error (fails closed). The checks
 * describe the file system now: a concurrent rename can still change it. */
int lit__path_is_inside(const char *dir, const char *path);

/* mkdir -p: make `path` and its missing parents (mode 0777 before the
 * umask). LIT_OK when it ends up a directory; LIT_ERR_IO naming the part
 * that failed (or "<path> is not a directory"), LIT_ERR_NOMEM; messages
 * start with "<who>: ". */
lit_status lit__mkdirs(const char *path, const char *who);

#endif
