/*
 * src/core/file.c — opening a user-named file for reading (see core.h):
 * only a regular file is read, so a device (/dev/zero), a FIFO or a
 * directory is refused at once instead of hanging or streaming forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "litc/core.h"

static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

lit_status lit_file_open_read(FILE **out, const char *path, const char *what, int64_t *size) {
    *out = NULL;
    what = what ? what : "file";
    /* O_NONBLOCK: opening a FIFO with no writer must not wait for one. */
    int fd;
    do fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return lit_set_error(LIT_ERR_IO, "%s: cannot open %s: %s", path, what, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return lit_set_error(LIT_ERR_IO, "%s: cannot stat %s: %s", path, what, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return lit_set_error(LIT_ERR_IO, "%s: the %s is %s; pass the path of a regular file", path, what,
                             kind_of(sb.st_mode));
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
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
