/*
 * src/callbacks/device-stats.c — Lightning 2.x's DeviceStatsMonitor
 * (lightning/pytorch/callbacks/device_stats_monitor.py) for litc's one
 * device, the CPU: Lightning's psutil stats (cpu_percent, cpu_vm_percent,
 * cpu_swap_percent) read from /proc, plus this process's resident memory,
 * CPU times and threads, written to the loggers around every batch. See
 * monitors.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "callbacks/direct-log-impl.h"

/* ---------------------------------------------------------------- reading /proc */

/* "Key:   123 kB" lines of /proc/meminfo, in kB; -1 when missing. */
static lit_status read_meminfo(double *total, double *avail, double *swap_total, double *swap_free) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return lit_set_error(LIT_ERR_IO, "DeviceStatsMonitor: cannot open /proc/meminfo");
    *total = *avail = *swap_total = *swap_free = -1;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        double v;
        if (sscanf(line, "MemTotal: %lf", &v) == 1) *total = v;
        else if (sscanf(line, "MemAvailable: %lf", &v) == 1) *avail = v;
        else if (sscanf(line, "SwapTotal: %lf", &v) == 1) *swap_total = v;
        else if (sscanf(line, "SwapFree: %lf", &v) == 1) *swap_free = v;
    }
    fclose(f);
    if (*total <= 0 || *avail < 0)
        return lit_set_error(LIT_ERR_IO, "DeviceStatsMonitor: /proc/meminfo has no MemTotal/MemAvailable");
    return LIT_OK;
}

/* The "cpu" line of /proc/stat: busy and total jiffies. psutil counts
 * idle and iowait as not busy, and leaves guest time out (it is inside
 * user and nice already). */
static lit_status read_stat(uint64_t *busy, uint64_t *total) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return lit_set_error(LIT_ERR_IO, "DeviceStatsMonitor: cannot open /proc/stat");
    uint64_t v[10] = { 0 };
    int n = fscanf(f, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                   " %" SCNu64 " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
                   &v[8], &v[9]);
    fclose(f);
    if (n < 4) return lit_set_error(LIT_ERR_IO, "DeviceStatsMonitor: /proc/stat has no cpu line");
    uint64_t t = 0;
    for (int k = 0; k < 8 && k < n; k++) t += v[k]; /* user nice system idle iowait irq softirq steal */
    *total = t;
    *busy = t - v[3] - (n > 4 ? v[4] : 0);
    return LIT_OK;
}

static lit_status read_self(double *rss, double *threads) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return lit_set_error(LIT_ERR_IO, "DeviceStatsMonitor: cannot open /proc/self/statm");
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2) return lit_set_error(LIT_ERR_IO, "DeviceStatsMonitor: cannot parse /proc/self/statm");
    *rss = (double)resident * (double)sysconf(_SC_PAGESIZE);
    f = fopen("/proc/self/status", "r");
    if (!f) return lit_set_error(LIT_ERR_IO, "DeviceStatsMonitor: cannot open /proc/self/status");
    char line[256];
    *threads = -1;
    while (fgets(line, sizeof line, f)) {
        double t;
        if (sscanf(line, "Threads: %lf", &t) == 1) *threads = t;
    }
    fclose(f);
    if (*threads < 1) return lit_set_error(LIT_ERR_IO, "DeviceStatsMonitor: /proc/self/status has no Threads line");
    return LIT_OK;
}

lit_status lit_cpu_stats_read(lit_cpu_stats *out, uint64_t *prev_busy, uint64_t *prev_total) {
    LIT_ASSERT(out, "lit_cpu_stats_read: out must not be NULL");
    double total = 0, avail = 0, swap_total = 0, swap_free = 0;
    LIT_TRY(read_meminfo(&total, &avail, &swap_total, &swap_free));
    out->cpu_vm_percent = (total - avail) / total * 100.0;
    out->cpu_swap_percent = swap_total > 0 && swap_free >= 0 ? (swap_total - swap_free) / swap_total * 100.0 : 0.0;
    uint64_t busy = 0, tot = 0;
    LIT_TRY(read_stat(&busy, &tot));
    out->cpu_percent = 0.0;
    if (prev_busy && prev_total) {
        /* psutil.cpu_percent(interval=None): since the previous call, 0 at the first. */
        if (*prev_total && tot > *prev_total && busy >= *prev_busy)
            out->cpu_percent = (double)(busy - *prev_busy) / (double)(tot - *prev_total) * 100.0;
        *prev_busy = busy;
        *prev_total = tot;
    }
    LIT_TRY(read_self(&out->rss_bytes, &out->num_threads));
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return lit_set_error(LIT_ERR_IO, "DeviceStatsMonitor: getrusage failed");
    out->cpu_user_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
    out->cpu_system_seconds = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    return LIT_OK;
}

/* ---------------------------------------------------------------- the callback */

/* Keys in the order logged (get_cpu_stats's three first, as Lightning's). */
static const char *const STAT_KEYS[] = { "cpu_vm_percent", "cpu_percent", "cpu_swap_percent", "rss_bytes",
                                         "cpu_user_seconds", "cpu_system_seconds", "num_threads" };
#define N_STATS ((int)(sizeof STAT_KEYS / sizeof *STAT_KEYS))

static double stat_value(const lit_cpu_stats *c, int k) {
    switch (k) {
    case 0: return c->cpu_vm_percent;
    case 1: return c->cpu_percent;
    case 2: return c->cpu_swap_percent;
    case 3: return c->rss_bytes;
    case 4: return c->cpu_user_seconds;
    case 5: return c->cpu_system_seconds;
    default: return c->num_threads;
    }
}

typedef struct {
    int wanted[N_STATS]; /* from filter_keys */
    uint64_t prev_busy, prev_total;
    lit__kv_list last;
    uint64_t failed_loggers;
    const char *const *filter;
} ds_state;

lit_device_stats_monitor_params lit_device_stats_monitor_default_params(void) {
    return (lit_device_stats_monitor_params){ .filter_keys = NULL };
}

static lit_status ds_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)m;
    ds_state *s = cb->user;
    if (stage != LIT_STAGE_FIT) return LIT_OK;
    if (lit_trainer_num_loggers(tr) == 0)
        return lit_set_error(LIT_ERR_CONFIG, "Cannot use `DeviceStatsMonitor` callback with `Trainer(logger=False)`.");
    s->failed_loggers = 0;
    for (int f = 0; s->filter && s->filter[f]; f++) {
        int known = 0;
        for (int k = 0; k < N_STATS; k++) known |= !strcmp(s->filter[f], STAT_KEYS[k]);
        if (!known)
            lit_logf(LIT_LOG_WARN, "`DeviceStatsMonitor` filter_keys contains keys not found in device stats and will "
                     "be ignored: {'%s'}", s->filter[f]);
    }
    return LIT_OK;
}

static lit_status log_stats(ds_state *s, lit_trainer *tr, const char *hook) {
    if (!lit_trainer_should_update_logs(tr)) return LIT_OK;
    lit_cpu_stats c;
    LIT_TRY(lit_cpu_stats_read(&c, &s->prev_busy, &s->prev_total));
    lit__kv_clear(&s->last);
    for (int k = 0; k < N_STATS; k++) {
        if (!s->wanted[k]) continue;
        /* _prefix_metric_keys with the loggers' group separator ("/"). */
        char key[160];
        snprintf(key, sizeof key, "%s.%s/%s", LIT_DEVICE_STATS_MONITOR_NAME, hook, STAT_KEYS[k]);
        LIT_TRY(lit__kv_set(&s->last, key, stat_value(&c, k)));
    }
    lit__kv_send(tr, &s->last, lit_trainer_batches_that_stepped(tr), 0, &s->failed_loggers,
                 LIT_DEVICE_STATS_MONITOR_NAME);
    return LIT_OK;
}

static lit_status ds_train_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b, int64_t i) {
    (void)m, (void)b, (void)i;
    return log_stats(cb->user, tr, "on_train_batch_start");
}
static lit_status ds_train_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *o, lit_batch *b,
                               int64_t i) {
    (void)m, (void)o, (void)b, (void)i;
    return log_stats(cb->user, tr, "on_train_batch_end");
}
static lit_status ds_val_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b, int64_t i, int dl) {
    (void)m, (void)b, (void)i, (void)dl;
    return log_stats(cb->user, tr, "on_validation_batch_start");
}
static lit_status ds_val_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *o, lit_batch *b, int64_t i,
                             int dl) {
    (void)m, (void)o, (void)b, (void)i, (void)dl;
    return log_stats(cb->user, tr, "on_validation_batch_end");
}
static lit_status ds_test_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b, int64_t i, int dl) {
    (void)m, (void)b, (void)i, (void)dl;
    return log_stats(cb->user, tr, "on_test_batch_start");
}
static lit_status ds_test_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *o, lit_batch *b,
                              int64_t i, int dl) {
    (void)m, (void)o, (void)b, (void)i, (void)dl;
    return log_stats(cb->user, tr, "on_test_batch_end");
}

static void ds_free(lit_callback *cb) {
    ds_state *s = cb->user;
    if (!s) return;
    lit__kv_free(&s->last);
    free(s);
    cb->user = NULL;
}

lit_status lit_device_stats_monitor_callback(lit_callback *cb, const lit_device_stats_monitor_params *p) {
    LIT_ASSERT(cb, "lit_device_stats_monitor_callback: cb must not be NULL");
    lit_device_stats_monitor_params v = p ? *p : lit_device_stats_monitor_default_params();
    ds_state *s = calloc(1, sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_device_stats_monitor_callback: out of memory");
    s->filter = v.filter_keys;
    for (int k = 0; k < N_STATS; k++) {
        s->wanted[k] = v.filter_keys == NULL;
        for (int f = 0; v.filter_keys && v.filter_keys[f]; f++) s->wanted[k] |= !strcmp(v.filter_keys[f], STAT_KEYS[k]);
    }
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_DEVICE_STATS_MONITOR_NAME,
        .user = s,
        .setup = ds_setup,
        .on_train_batch_start = ds_train_start,
        .on_train_batch_end = ds_train_end,
        .on_validation_batch_start = ds_val_start,
        .on_validation_batch_end = ds_val_end,
        .on_test_batch_start = ds_test_start,
        .on_test_batch_end = ds_test_end,
        .free = ds_free,
    };
    return LIT_OK;
}

static ds_state *state_of(const lit_callback *cb) {
    LIT_ASSERT(cb && cb->setup == ds_setup && cb->user,
               "lit_device_stats_monitor_*: the callback is not a DeviceStatsMonitor or was freed");
    return cb->user;
}

int lit_device_stats_monitor_num_last(const lit_callback *cb) { return state_of(cb)->last.n; }
const char *lit_device_stats_monitor_last_name(const lit_callback *cb, int i) {
    ds_state *s = state_of(cb);
    LIT_ASSERT(i >= 0 && i < s->last.n, "lit_device_stats_monitor_last_name: index %d of %d", i, s->last.n);
    return s->last.names[i];
}
double lit_device_stats_monitor_last_value(const lit_callback *cb, int i) {
    ds_state *s = state_of(cb);
    LIT_ASSERT(i >= 0 && i < s->last.n, "lit_device_stats_monitor_last_value: index %d of %d", i, s->last.n);
    return s->last.values[i];
}
int lit_device_stats_monitor_last(const lit_callback *cb, const char *name, double *out) {
    ds_state *s = state_of(cb);
    int i = lit__kv_find(&s->last, name);
    if (i < 0) return 0;
    if (out) *out = s->last.values[i];
    return 1;
}
