/*
 * src/core/buf.c — the growable byte buffer of buf-impl.h (what the loggers
 * write their files with and the registry builds its messages and help in).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf-impl.h"

static void buf_reserve(lit__buf *b, size_t extra) {
    if (b->failed) return;
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return;
    }
    b->data = d;
    b->cap = cap;
}

void lit__buf_put(lit__buf *b, const void *p, size_t n) {
    buf_reserve(b, n);
    if (b->failed) return;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0; /* always a C string too */
}

void lit__buf_puts(lit__buf *b, const char *s) { lit__buf_put(b, s, strlen(s)); }
void lit__buf_putc(lit__buf *b, char c) { lit__buf_put(b, &c, 1); }

void lit__buf_printf(lit__buf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        lit__buf_put(b, tmp, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    if (b->failed) return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void lit__buf_free(lit__buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}
