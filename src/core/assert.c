/* Programmer-error reporting: a message with a hint, then abort (or a hook). */
#include <stdio.h>
#include <stdlib.h>

#include "litc/core.h"

static lit_abort_fn abort_hook;
static void *abort_user;

void lit_set_abort_hook(lit_abort_fn fn, void *user) {
    abort_hook = fn;
    abort_user = user;
}

static void fail_with(const char *msg) {
    if (abort_hook) abort_hook(msg, abort_user); /* may longjmp (tests) */
    fprintf(stderr, "%s\n", msg);
    fflush(stderr);
    abort();
}

void lit__assert_fail(const char *file, int line, const char *expr, const char *fmt, ...) {
    char hint[1536], msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(hint, sizeof hint, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "litc: %s\n  (%s:%d: check `%s` failed)", hint, file, line, expr);
    fail_with(msg);
}

void lit_panic(const char *fmt, ...) {
    char hint[1536], msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(hint, sizeof hint, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "litc: %s", hint);
    fail_with(msg);
}
