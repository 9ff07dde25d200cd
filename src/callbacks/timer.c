/*
 * src/callbacks/timer.c — Lightning 2.x's Timer
 * (lightning/pytorch/callbacks/timer.py): time spent in the training,
 * validation and test loops on the Trainer's clock, and a stop once the
 * training time reaches a duration, carried across resumes through the
 * callback's state. See monitors.h.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/callbacks.h"
#include "litc/checkpoint.h"

/* RunningStage values: the keys of the saved "time_elapsed". */
static const char *const STAGE_KEYS[LIT_RUNNING_COUNT] = { "train", "sanity_check", "validate", "test", "predict" };

typedef struct {
    lit_timer_params p;
    double start[LIT_RUNNING_COUNT], end[LIT_RUNNING_COUNT]; /* NAN = None */
    double offset;              /* training seconds a resumed checkpoint had used */
    const lit_trainer *tr;      /* the clock of the last hook, for the accessors */
} timer_state;

lit_timer_params lit_timer_default_params(void) {
    return (lit_timer_params){ .duration = NAN, .interval = LIT_INTERVAL_STEP, .verbose = 1 };
}

lit_status lit_timer_parse_duration(const char *text, double *seconds) {
    LIT_ASSERT(seconds, "lit_timer_parse_duration: seconds must not be NULL");
    /* (\d+):(\d\d):(\d\d):(\d\d) after stripping blanks. */
    const char *c = text ? text : "";
    while (isspace((unsigned char)*c)) c++;
    double v[4] = { 0 };
    int ok = 1;
    for (int f = 0; f < 4 && ok; f++) {
        int digits = 0;
        double x = 0;
        while (isdigit((unsigned char)*c)) x = 10 * x + (*c++ - '0'), digits++;
        ok = f == 0 ? digits >= 1 : digits == 2;
        if (ok && f < 3) ok = *c++ == ':';
        v[f] = x;
    }
    while (ok && isspace((unsigned char)*c)) c++;
    if (!ok || *c)
        return lit_set_error(LIT_ERR_CONFIG, "Timer: duration \"%s\" cannot be converted; expected DD:HH:MM:SS",
                             text ? text : "(null)");
    *seconds = ((v[0] * 24 + v[1]) * 60 + v[2]) * 60 + v[3];
    return LIT_OK;
}

static double clock_now(const timer_state *s) { return s->tr ? lit_trainer_now(s->tr) : NAN; }

static double elapsed(const timer_state *s, lit_running_stage st) {
    double off = st == LIT_RUNNING_TRAIN ? s->offset : 0.0;
    if (isnan(s->start[st])) return off;
    if (isnan(s->end[st])) return clock_now(s) - s->start[st] + off;
    return s->end[st] - s->start[st] + off;
}

static void check_time(timer_state *s, lit_trainer *tr) {
    if (isnan(s->p.duration)) return;
    double e = elapsed(s, LIT_RUNNING_TRAIN);
    if (e < s->p.duration) return;
    lit_trainer_set_should_stop(tr, 1);
    if (s->p.verbose) {
        long t = (long)e; /* timedelta(seconds=int(...)) prints H:MM:SS, days first when any */
        long d = t / 86400;
        t %= 86400;
        if (d)
            lit_logf(LIT_LOG_INFO, "Time limit reached. Elapsed time is %ld day%s, %ld:%02ld:%02ld. Signaling "
                     "Trainer to stop.", d, d == 1 ? "" : "s", t / 3600, t / 60 % 60, t % 60);
        else
            lit_logf(LIT_LOG_INFO, "Time limit reached. Elapsed time is %ld:%02ld:%02ld. Signaling Trainer to stop.",
                     t / 3600, t / 60 % 60, t % 60);
    }
}

/* Start/end of a stage on the trainer's clock. */
static lit_status mark(lit_callback *cb, lit_trainer *tr, lit_running_stage st, int is_end) {
    timer_state *s = cb->user;
    s->tr = tr;
    double t = lit_trainer_now(tr);
    if (is_end) {
        s->end[st] = t;
    } else {
        s->start[st] = t;
        /* Lightning keeps the old end until the stage ends again, so a
         * restarted stage reads "ended" until then; time_elapsed counting
         * up from the new start is what a reader means. */
        s->end[st] = NAN;
    }
    return LIT_OK;
}

/* The six stage hooks only mark their stage's start or end. */
#define TM_MARK_HOOK(hook, stage, is_end)                                      \
    static lit_status hook(lit_callback *cb, lit_trainer *tr, lit_module *m) { \
        (void)m;                                                               \
        return mark(cb, tr, stage, is_end);                                    \
    }
TM_MARK_HOOK(tm_on_train_start, LIT_RUNNING_TRAIN, 0)
TM_MARK_HOOK(tm_on_train_end, LIT_RUNNING_TRAIN, 1)
TM_MARK_HOOK(tm_on_validation_start, LIT_RUNNING_VALIDATE, 0)
TM_MARK_HOOK(tm_on_validation_end, LIT_RUNNING_VALIDATE, 1)
TM_MARK_HOOK(tm_on_test_start, LIT_RUNNING_TEST, 0)
TM_MARK_HOOK(tm_on_test_end, LIT_RUNNING_TEST, 1)
#undef TM_MARK_HOOK

static lit_status tm_on_fit_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    timer_state *s = cb->user;
    s->tr = tr;
    /* After the state was restored: a resumed budget may be spent already. */
    check_time(s, tr);
    return LIT_OK;
}

static lit_status tm_on_train_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss,
                                        lit_batch *b, int64_t i) {
    (void)m, (void)loss, (void)b, (void)i;
    timer_state *s = cb->user;
    s->tr = tr;
    if (s->p.interval == LIT_INTERVAL_STEP) check_time(s, tr);
    return LIT_OK;
}

static lit_status tm_on_train_epoch_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    timer_state *s = cb->user;
    s->tr = tr;
    if (s->p.interval == LIT_INTERVAL_EPOCH) check_time(s, tr);
    return LIT_OK;
}

static lit_status tm_state_save(lit_callback *cb, lit_checkpoint *ck) {
    timer_state *s = cb->user;
    for (int st = 0; st < LIT_RUNNING_COUNT; st++) {
        char key[64];
        snprintf(key, sizeof key, "time_elapsed.%s", STAGE_KEYS[st]);
        LIT_TRY(lit_checkpoint_set_double(ck, key, elapsed(s, (lit_running_stage)st)));
    }
    return LIT_OK;
}

static lit_status tm_state_load(lit_callback *cb, const lit_checkpoint *ck) {
    timer_state *s = cb->user;
    /* state_dict.get("time_elapsed", {}).get("train", 0) */
    /* seconds a run can have taken (the loops use the same bound) */
    double train = 0;
    if (lit_checkpoint_has(ck, "time_elapsed.train"))
        LIT_TRY(lit_checkpoint_get_double_range(ck, "time_elapsed.train", 0, 1e12, &train));
    s->offset = train;
    return LIT_OK;
}

static void tm_free(lit_callback *cb) {
    free(cb->user);
    cb->user = NULL;
}

lit_status lit_timer_callback(lit_callback *cb, const lit_timer_params *p) {
    LIT_ASSERT(cb, "lit_timer_callback: cb must not be NULL");
    lit_timer_params v = p ? *p : lit_timer_default_params();
    if (!isnan(v.duration) && (v.duration < 0 || isinf(v.duration)))
        return lit_set_error(LIT_ERR_CONFIG, "Timer(duration=%g): must be a finite number of seconds >= 0 (NAN = None)",
                             v.duration);
    if (v.interval != LIT_INTERVAL_STEP && v.interval != LIT_INTERVAL_EPOCH)
        return lit_set_error(LIT_ERR_CONFIG, "Unsupported parameter value `Timer(interval=%d)`. Possible choices are: "
                             "step, epoch", (int)v.interval);
    timer_state *s = calloc(1, sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_timer_callback: out of memory");
    s->p = v;
    for (int st = 0; st < LIT_RUNNING_COUNT; st++) s->start[st] = s->end[st] = NAN;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_TIMER_NAME,
        .user = s,
        .on_fit_start = tm_on_fit_start,
        .on_train_start = tm_on_train_start,
        .on_train_end = tm_on_train_end,
        .on_validation_start = tm_on_validation_start,
        .on_validation_end = tm_on_validation_end,
        .on_test_start = tm_on_test_start,
        .on_test_end = tm_on_test_end,
        .on_train_batch_end = tm_on_train_batch_end,
        .on_train_epoch_end = tm_on_train_epoch_end,
        .state_save = tm_state_save,
        .state_load = tm_state_load,
        .free = tm_free,
        .state_key = LIT_TIMER_NAME,
    };
    return LIT_OK;
}

static timer_state *state_of(const lit_callback *cb, lit_running_stage st) {
    LIT_ASSERT(cb && cb->state_save == tm_state_save && cb->user,
               "lit_timer_*: the callback is not a Timer (lit_timer_callback) or was freed");
    LIT_ASSERT((int)st >= 0 && st < LIT_RUNNING_COUNT, "lit_timer_*: stage %d is not a lit_running_stage", (int)st);
    return cb->user;
}

double lit_timer_start_time(const lit_callback *cb, lit_running_stage st) { return state_of(cb, st)->start[st]; }
double lit_timer_end_time(const lit_callback *cb, lit_running_stage st) { return state_of(cb, st)->end[st]; }
double lit_timer_time_elapsed(const lit_callback *cb, lit_running_stage st) { return elapsed(state_of(cb, st), st); }
double lit_timer_time_remaining(const lit_callback *cb, lit_running_stage st) {
    timer_state *s = state_of(cb, st);
    return isnan(s->p.duration) ? NAN : s->p.duration - elapsed(s, st);
}
