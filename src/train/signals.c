/*
 * src/train/signals.c — graceful stop on SIGTERM / SIGINT / SIGUSR1 during
 * fit (see lit_trainer_fit): the handler only records the signal; the
 * FitLoop checks after every batch, checkpoints and stops. A second signal
 * restores the default action and re-raises it, so an impatient user or a
 * scheduler's final kill still ends the process.
 * Also SIGXFSZ, ignored while any stage runs: a write past `ulimit -f` then
 * fails with EFBIG and is reported (a checkpoint like a full disk) instead
 * of the signal killing the process without a word.
 */
#include <signal.h>
#include <string.h>

#include "train/train-impl.h"

static const int SIGNALS[] = { SIGTERM, SIGINT, SIGUSR1 };
#define N_SIGNALS ((int)(sizeof SIGNALS / sizeof *SIGNALS))

static volatile sig_atomic_t pending;
static struct sigaction previous[N_SIGNALS];
static int installed;

static void on_signal(int sig) {
    if (pending) {
        /* Second signal: stop now, the way the signal would have. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    pending = sig;
}

void lit__signals_install(void) {
    if (installed) return;
    pending = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < N_SIGNALS; i++) sigaction(SIGNALS[i], &sa, &previous[i]);
    installed = 1;
}

void lit__signals_restore(void) {
    if (!installed) return;
    for (int i = 0; i < N_SIGNALS; i++) sigaction(SIGNALS[i], &previous[i], NULL);
    installed = 0;
    pending = 0;
}

int lit__signal_pending(void) { return pending; }

static int xfsz_depth; /* nested stages (a tuner's fit inside a fit) restore once, at the outermost */
static struct sigaction xfsz_previous;

void lit__xfsz_ignore_begin(void) {
    if (xfsz_depth++ > 0) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGXFSZ, &sa, &xfsz_previous);
}

void lit__xfsz_ignore_end(void) {
    if (xfsz_depth == 0 || --xfsz_depth > 0) return;
    sigaction(SIGXFSZ, &xfsz_previous, NULL);
}
