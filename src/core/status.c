/* Status descriptions and the per-thread last-error message. */
#include <stdio.h>

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
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return st;
}

const char *lit_last_error(void) { return last_error; }

void lit_clear_error(void) { last_error[0] = 0; }
