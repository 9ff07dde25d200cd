/* Status descriptions and the per-thread last-error message. */
#include <stdio.h>
#include <string.h>

#include "litc/core.h"

const char *lit_status_str(lit_status st) {
    switch (st) {
#define LIT__STATUS_DESC(name, value, desc) case name: return desc;
        LIT_STATUS_TABLE(LIT__STATUS_DESC)
#undef LIT__STATUS_DESC
    }
    return "unknown status";
}

const char *lit_status_name(lit_status st) {
    switch (st) {
#define LIT__STATUS_NAME(name, value, desc) case name: return #name;
        LIT_STATUS_TABLE(LIT__STATUS_NAME)
#undef LIT__STATUS_NAME
    }
    return "LIT_STATUS_UNKNOWN";
}

static _Thread_local char last_error[1024];

lit_status lit_set_error(lit_status st, const char *fmt, ...) {
    /* Formatted aside first: callers wrap the previous message,
     * lit_set_error(st, "...: %s", lit_last_error()), and vsnprintf must not
     * write the buffer it reads. */
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return st;
}

const char *lit_last_error(void) { return last_error; }

void lit_clear_error(void) { last_error[0] = 0; }
