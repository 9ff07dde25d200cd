/*
 * tests/watchdog.h — run a call that used to hang or eat the machine's
 * memory in a forked child, under a watchdog: alarm(seconds) ends a hang
 * (SIGALRM), and outside sanitizer builds an address-space limit ends a
 * memory bomb (the allocation fails, or the child dies). The parent gets the
 * call's status and last error, or how the child died, so a regression
 * fails its CHECKs instead of stalling the suite. Header-only; include after
 * harness.h.
 *
 *     watched_result r = run_watched(load_bomb, (void *)path, 10, WATCHDOG_MEMORY);
 *     CHECK_MSG(r.finished, "%s", watched_describe(&r));
 *     CHECK_EQ_INT(r.status, LIT_ERR_CONFIG);
 */
#ifndef LITC_TESTS_WATCHDOG_H
#define LITC_TESTS_WATCHDOG_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#if defined(__SANITIZE_ADDRESS__)
#define WATCHDOG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WATCHDOG_ASAN 1
#endif
#endif
#ifndef WATCHDOG_ASAN
#define WATCHDOG_ASAN 0
#endif

/* Address space the child may add to what the test process already maps. */
#define WATCHDOG_MEMORY ((size_t)1 << 30)

typedef lit_status (*watched_fn)(void *arg);

typedef struct {
    int finished;     /* the call returned (else the child died or hung) */
    int signal;       /* the signal that ended the child, 0 if none */
    lit_status status;
    char message[2048]; /* lit_last_error() after the call */
} watched_result;

/* The child's current address-space size in bytes (/proc/self/statm). */
static inline size_t watchdog_vm_bytes_(void) {
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* fn(arg) in a child with alarm(seconds) and, when extra_memory > 0 and this
 * is not an ASan build (ASan maps terabytes of shadow), an RLIMIT_AS of the
 * current size + extra_memory. */
static inline watched_result run_watched(watched_fn fn, void *arg, unsigned seconds, size_t extra_memory) {
    watched_result r;
    memset(&r, 0, sizeof r);
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(r.message, sizeof r.message, "watchdog: pipe failed");
        return r;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (extra_memory && !WATCHDOG_ASAN) {
            rlim_t cap = (rlim_t)(watchdog_vm_bytes_() + extra_memory);
            struct rlimit rl = { cap, cap };
            setrlimit(RLIMIT_AS, &rl);
        }
        alarm(seconds);
        watched_result c;
        memset(&c, 0, sizeof c);
        c.status = fn(arg);
        c.finished = 1;
        snprintf(c.message, sizeof c.message, "%s", lit_last_error());
        ssize_t w = write(fds[1], &c, sizeof c);
        _exit(w == (ssize_t)sizeof c ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;
    while (pid > 0 && got < sizeof r) {
        ssize_t n = read(fds[0], (char *)&r + got, sizeof r - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fds[0]);
    if (got != sizeof r) memset(&r, 0, sizeof r);
    int ws = 0;
    if (pid > 0 && waitpid(pid, &ws, 0) == pid && WIFSIGNALED(ws)) r.signal = WTERMSIG(ws);
    if (!r.finished && !r.message[0])
        snprintf(r.message, sizeof r.message, "the call did not return: %s",
                 r.signal == SIGALRM ? "still running when the watchdog fired (a hang)"
                 : r.signal         ? strsignal(r.signal)
                                    : "the child exited without a result");
    return r;
}

#endif
