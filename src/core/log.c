/* Leveled logging through a replaceable sink. */
#include <stdio.h>

#include "litc/core.h"

static const char *level_name(lit_log_level level) {
    switch (level) {
    case LIT_LOG_DEBUG: return "debug";
    case LIT_LOG_INFO: return "info";
    case LIT_LOG_WARN: return "warning";
    case LIT_LOG_ERROR: return "error";
    default: return "log";
    }
}

static void default_sink(lit_log_level level, const char *msg, void *user) {
    (void)user;
    fprintf(stderr, "[litc] %s: %s\n", level_name(level), msg);
}

static lit_log_fn sink = default_sink;
static void *sink_user;
static lit_log_level min_level = LIT_LOG_INFO;

void lit_log_set_callback(lit_log_fn fn, void *user) {
    sink = fn ? fn : default_sink;
    sink_user = fn ? user : NULL;
}

void lit_log_set_level(lit_log_level level) { min_level = level; }

lit_log_level lit_log_get_level(void) { return min_level; }

void lit_logf(lit_log_level level, const char *fmt, ...) {
    if (level < min_level || level >= LIT_LOG_OFF) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sink(level, msg, sink_user);
}
