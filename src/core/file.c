/*
 * src/core/file.c — opening a user-named file for reading (see core.h and
 * core/file-impl.h): only a regular file is read, so a device (/dev/zero), a
 * FIFO or a directory is refused at once instead of hanging or streaming
 * forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "litc/core.h"
#include "core/file-impl.h"

static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

/* The error for a failed `verb` ("stat", "open") on an open descriptor, which is closed. */
static lit_status close_failing(int fd, const char *path, const char *verb, const char *what) {
    int e = errno;
    close(fd);
    return lit_set_error(LIT_ERR_IO, "%s: cannot %s %s: %s", path, verb, what, strerror(e));
}

lit_status lit__file_open_regular(int *fd_out, struct stat *sb, const char *path, const char *what,
                                  lit_status missing) {
    *fd_out = -1;
    what = what ? what : "file";
    /* O_NONBLOCK: opening a FIFO with no writer must not wait for one. */
    int fd;
    do fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int e = errno;
        return lit_set_error(e == ENOENT ? missing : LIT_ERR_IO, "%s: cannot open %s: %s", path, what,
                             strerror(e));
    }
    if (fstat(fd, sb) != 0) return close_failing(fd, path, "stat", what);
    if (!S_ISREG(sb->st_mode)) {
        close(fd);
        return lit_set_error(LIT_ERR_IO, "%s: the %s is %s; pass the path of a regular file", path, what,
                             kind_of(sb->st_mode));
    }
    /* A regular file: reads may block as they normally do. */
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) return close_failing(fd, path, "open", what);
    *fd_out = fd;
    return LIT_OK;
}

lit_status lit_file_open_read(FILE **out, const char *path, const char *what, int64_t *size) {
    *out = NULL;
    what = what ? what : "file";
    int fd;
    struct stat sb;
    LIT_TRY(lit__file_open_regular(&fd, &sb, path, what, LIT_ERR_IO));
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        return lit_set_error(LIT_ERR_IO, "%s: cannot open %s: %s", path, what, strerror(e));
    }
    if (size) *size = (int64_t)sb.st_size;
    *out = f;
    return LIT_OK;
}
