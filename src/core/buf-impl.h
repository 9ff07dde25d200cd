/*
 * src/core/buf-impl.h — a growable byte buffer, always NUL-terminated (so
 * also a C string), for the layers above core that build text: the loggers'
 * files (loggers-impl.h) and the registry's messages and help (io).
 */
#ifndef LITC_CORE_BUF_IMPL_H
#define LITC_CORE_BUF_IMPL_H

#include <stddef.h>

typedef struct {
    unsigned char *data;
    size_t len, cap;
    int failed; /* an allocation failed; everything after is dropped */
} lit__buf;

void lit__buf_put(lit__buf *b, const void *p, size_t n);
void lit__buf_puts(lit__buf *b, const char *s);
void lit__buf_putc(lit__buf *b, char c);
void lit__buf_printf(lit__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees data and zeroes *b (ready for reuse). */
void lit__buf_free(lit__buf *b);

#endif
