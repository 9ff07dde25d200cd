/*
 * src/core/file-impl.h — the one opener behind every reader of a path the
 * user gives: lit_file_open_read (core.h) wraps it in a stdio stream, the
 * safetensors reader keeps the descriptor for pread.
 */
#ifndef LITC_CORE_FILE_IMPL_H
#define LITC_CORE_FILE_IMPL_H

#include <sys/stat.h>

#include "litc/core.h"

/*
 * Open `path` read-only, refusing anything but a regular file without
 * blocking on it: a FIFO with no writer, a device (/dev/zero), a directory or
 * a socket is LIT_ERR_IO with a message naming the path, `what` it was meant
 * to be and what it is. On success *fd is a blocking descriptor (O_CLOEXEC)
 * the caller closes and *sb its fstat at opening time. A path that does not
 * exist gives `missing` (LIT_ERR_IO or LIT_ERR_NOT_FOUND, whichever the
 * caller documents); any other failure LIT_ERR_IO.
 */
lit_status lit__file_open_regular(int *fd, struct stat *sb, const char *path, const char *what,
                                  lit_status missing);

#endif
