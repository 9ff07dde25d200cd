/*
 * src/cli/registry-builtins.c — litc's own classes in the registry
 * (registry.h): the callbacks, loggers, optimizers and lr schedulers a
 * config file can name, each with the schema of its init arguments.
 *
 * Every schema row is one field of the class's params struct under the
 * name Lightning / torch give that argument, with the same default, so a
 * LightningCLI config moves over unchanged where litc has the feature.
 * Lightning's `None` is the YAML null; where litc's struct spells None
 * differently (-1, NAN, a tri-state) the build function translates.
 * Arguments litc cannot honour (callables such as lambda_func or
 * batch_size_fn, torch's foreach/fused/capturable) are left out, so a
 * config that sets them fails with "unknown argument" rather than being
 * silently ignored.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "litc/callbacks.h"
#include "litc/config.h"
#include "litc/loggers.h"
#include "litc/registry.h"
#include "litc/report.h"

/* ---------------------------------------------------------------- helpers */

#define ALIASES_CB(n) { "lightning.pytorch.callbacks." n, "pytorch_lightning.callbacks." n, "lightning.callbacks." n, "litc.callbacks." n }
#define ALIASES_LOG(n) { "lightning.pytorch.loggers." n, "pytorch_lightning.loggers." n, "litc.loggers." n }
#define ALIASES_OPT(n) { "torch.optim." n, "litc.optim." n }
#define ALIASES_SCHED(n) { "torch.optim.lr_scheduler." n, "litc.sched." n }

#define N_ARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Shorthands for the getters: every builder below reads `a`. */
#define A_INT(n) lit_registry_args_int(a, n)
#define A_FLOAT(n) lit_registry_args_float(a, n)
#define A_BOOL(n) lit_registry_args_bool(a, n)
#define A_STR(n) lit_registry_args_string(a, n)
#define A_NULL(n) lit_registry_args_is_null(a, n)

/* Lightning's Optional[bool] = None into litc's tri-state (0 None, 1 true, -1 false). */
static int tri_state(const lit_registry_args *a, const char *name) {
    if (A_NULL(name)) return 0;
    return A_BOOL(name) ? 1 : -1;
}

/* A constructor's failure as a config error naming the class and where its
 * init_args are (the constructors already name the field and value). The
 * message is copied first: lit_set_error formats into the same buffer. */
static lit_status config_error(const lit_registry_args *a, lit_status st) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", lit_last_error());
    const lit_registry_class *c = lit_registry_args_class(a);
    const char *where = lit_registry_args_where(a, NULL);
    if (st == LIT_ERR_NOMEM) return lit_set_error(st, "%s: %s", c->name, msg);
    if (where[0]) return lit_set_error(LIT_ERR_CONFIG, "%s: %s: %s", where, c->name, msg);
    return lit_set_error(LIT_ERR_CONFIG, "%s: %s", c->name, msg);
}

/* "file:line:col: " of argument `name`, or "" when unknown. */
static const char *at(const lit_registry_args *a, const char *name) {
    /* One per message; the registry is single-threaded (registry.h). */
    static char buf[320];
    const char *w = lit_registry_args_where(a, name);
    snprintf(buf, sizeof buf, "%s%s", w, w[0] ? ": " : "");
    return buf;
}
#define AT(n) at(a, n)

/* A callback or logger constructor's status; a failure as a config error. */
static lit_status built(const lit_registry_args *a, lit_status st) {
    return st < 0 ? config_error(a, st) : LIT_OK;
}

/* An integer-looking YAML text ("3", "-1"): how Union[int, float] and
 * Union[int, str] arguments tell their forms apart, as Python's isinstance
 * would on the parsed value. */
static int yaml_is_integer(const char *t) {
    if (*t == '-' || *t == '+') t++;
    if (!*t) return 0;
    for (; *t; t++)
        if (*t < '0' || *t > '9') return 0;
    return 1;
}

/* The loggers' save_dir: null follows trainer.default_root_dir (the way
 * LightningCLI links them), then ".". */
static const char *save_dir_of(const lit_registry_args *a, const lit_registry_context *ctx) {
    if (!A_NULL("save_dir")) return A_STR("save_dir");
    return ctx->default_root_dir ? ctx->default_root_dir : ".";
}

/* Lightning's version: Optional[Union[int, str]]: null = next free, an
 * integer = version_<N>, any other string = that folder name. */
static void version_of(const lit_registry_args *a, int64_t *version, const char **version_name) {
    *version = -1;
    *version_name = NULL;
    if (A_NULL("version")) return;
    const char *v = A_STR("version");
    if (yaml_is_integer(v))
        *version = strtoll(v, NULL, 10);
    else
        *version_name = v;
}

static const char *const MODES[] = {"min", "max", NULL};
static const char *const INTERVALS[] = {"epoch", "step", NULL};
static const char *const ANNEAL[] = {"cos", "linear", NULL};

/* ================================================================ callbacks */

/* ---------------------------------------------------------------- ModelCheckpoint */

static const lit_arg_spec model_checkpoint_args[] = {
    {"dirpath", LIT_ARG_STRING, "null",
     "Directory of the checkpoint files. null: <default_root_dir>/lightning_logs/version_N/checkpoints.", 0, 0, NULL},
    {"filename", LIT_ARG_STRING, "null",
     "Name template without .ckpt, e.g. '{epoch}-{val/loss:.2f}'. null: '{epoch}-{step}'.", 0, 0, NULL},
    {"monitor", LIT_ARG_STRING, "null", "Metric to rank checkpoints by. null: only the latest is kept.", 0, 0, NULL},
    {"verbose", LIT_ARG_BOOL, "false", "Log every save/skip decision.", 0, 0, NULL},
    {"save_last", LIT_ARG_BOOL, "null", "Also keep last.ckpt, a copy of the latest state (null = false).", 0, 0, NULL},
    {"save_top_k", LIT_ARG_INT, "1", "Keep the k best files; -1 keeps all, 0 none.", 0, 0, NULL},
    {"save_weights_only", LIT_ARG_BOOL, "false", "Write only the weights (the file cannot resume a fit).", 0, 0,
     NULL},
    {"mode", LIT_ARG_ENUM, "min", "Whether a smaller (min) or larger (max) monitor value is better.", 0, 0, MODES},
    {"auto_insert_metric_name", LIT_ARG_BOOL, "true", "Format '{epoch}' as 'epoch=3' rather than '3'.", 0, 0, NULL},
    {"every_n_train_steps", LIT_ARG_INT, "null", "Save after every n optimizer steps (0 off).", 0, 0, NULL},
    {"train_time_interval", LIT_ARG_FLOAT, "null",
     "Save every so many seconds of training (Lightning takes a timedelta; litc seconds).", 0, 0, NULL},
    {"every_n_epochs", LIT_ARG_INT, "null",
     "Save every n epochs (0: no top-k saves at epoch ends). null: 1 unless another trigger is set.", 0, 0, NULL},
    {"save_on_train_epoch_end", LIT_ARG_BOOL, "null",
     "Save at the end of the training epoch (true) or after validation (false); null decides as Lightning.", 0, 0,
     NULL},
    {"enable_version_counter", LIT_ARG_BOOL, "true", "Add -v1, -v2 ... to a name that exists.", 0, 0, NULL},
};

static lit_status build_model_checkpoint(const lit_registry_args *a, const lit_registry_context *ctx,
                                         lit_callback *out) {
    lit_model_checkpoint_params p = lit_model_checkpoint_default_params();
    p.dirpath = A_STR("dirpath");
    p.filename = A_STR("filename");
    p.monitor = A_STR("monitor");
    p.verbose = A_BOOL("verbose");
    p.save_last = A_BOOL("save_last");
    p.save_top_k = (int)A_INT("save_top_k");
    p.save_weights_only = A_BOOL("save_weights_only");
    p.mode = strcmp(A_STR("mode"), "max") == 0 ? LIT_MAX : LIT_MIN;
    p.auto_insert_metric_name = A_BOOL("auto_insert_metric_name");
    p.every_n_train_steps = A_NULL("every_n_train_steps") ? -1 : A_INT("every_n_train_steps");
    p.train_time_interval = A_NULL("train_time_interval") ? 0.0 : A_FLOAT("train_time_interval");
    p.every_n_epochs = A_NULL("every_n_epochs") ? -1 : A_INT("every_n_epochs");
    p.save_on_train_epoch_end = tri_state(a, "save_on_train_epoch_end");
    p.enable_version_counter = A_BOOL("enable_version_counter");
    return built(a, lit_model_checkpoint_callback(out, &p));
}

/* ---------------------------------------------------------------- EarlyStopping */

static const lit_arg_spec early_stopping_args[] = {
    {"monitor", LIT_ARG_STRING, NULL, "Metric to watch.", 1, 0, NULL},
    {"min_delta", LIT_ARG_FLOAT, "0.0", "An improvement must exceed |min_delta|.", 0, 0, NULL},
    {"patience", LIT_ARG_INT, "3", "Checks without improvement before stopping.", 0, 0, NULL},
    {"verbose", LIT_ARG_BOOL, "false", "Log every reason.", 0, 0, NULL},
    {"mode", LIT_ARG_ENUM, "min", "Whether a smaller (min) or larger (max) value is better.", 0, 0, MODES},
    {"strict", LIT_ARG_BOOL, "true", "A missing monitor fails the fit (false: the check is skipped).", 0, 0, NULL},
    {"check_finite", LIT_ARG_BOOL, "true", "Stop when the monitor is NaN or infinite.", 0, 0, NULL},
    {"stopping_threshold", LIT_ARG_FLOAT, "null", "Stop once the monitor is better than this.", 0, 0, NULL},
    {"divergence_threshold", LIT_ARG_FLOAT, "null", "Stop once the monitor is worse than this.", 0, 0, NULL},
    {"check_on_train_epoch_end", LIT_ARG_BOOL, "null",
     "Check at the end of the training epoch (true) or after validation (false); null decides as Lightning.", 0, 0,
     NULL},
    {"log_rank_zero_only", LIT_ARG_BOOL, "false", "Accepted for Lightning configs; litc logs from its one process.",
     0, 0, NULL},
};

static lit_status build_early_stopping(const lit_registry_args *a, const lit_registry_context *ctx,
                                       lit_callback *out) {
    lit_early_stopping_params p = lit_early_stopping_default_params();
    p.monitor = A_STR("monitor");
    p.min_delta = A_FLOAT("min_delta");
    p.patience = A_INT("patience");
    p.verbose = A_BOOL("verbose");
    p.mode = strcmp(A_STR("mode"), "max") == 0 ? LIT_MAX : LIT_MIN;
    p.strict = A_BOOL("strict");
    p.check_finite = A_BOOL("check_finite");
    p.stopping_threshold = A_NULL("stopping_threshold") ? NAN : A_FLOAT("stopping_threshold");
    p.divergence_threshold = A_NULL("divergence_threshold") ? NAN : A_FLOAT("divergence_threshold");
    p.check_on_train_epoch_end = tri_state(a, "check_on_train_epoch_end");
    return built(a, lit_early_stopping_callback(out, &p));
}

/* ---------------------------------------------------------------- LearningRateMonitor */

static const char *const LOG_INTERVALS[] = {"step", "epoch", NULL};

static const lit_arg_spec lr_monitor_args[] = {
    {"logging_interval", LIT_ARG_ENUM, "null",
     "Log every 'step' or every 'epoch'; null: each scheduler at its own interval.", 0, 1, LOG_INTERVALS},
    {"log_momentum", LIT_ARG_BOOL, "false", "Also log <name>-momentum (beta1 for Adam-likes).", 0, 0, NULL},
    {"log_weight_decay", LIT_ARG_BOOL, "false", "Also log <name>-weight_decay.", 0, 0, NULL},
};

static lit_status build_lr_monitor(const lit_registry_args *a, const lit_registry_context *ctx, lit_callback *out) {
    lit_lr_monitor_params p = lit_lr_monitor_default_params();
    if (A_NULL("logging_interval"))
        p.logging_interval = LIT_LOG_PER_SCHEDULER;
    else
        p.logging_interval = strcmp(A_STR("logging_interval"), "step") == 0 ? LIT_LOG_EVERY_STEP : LIT_LOG_EVERY_EPOCH;
    p.log_momentum = A_BOOL("log_momentum");
    p.log_weight_decay = A_BOOL("log_weight_decay");
    return built(a, lit_lr_monitor_callback(out, &p));
}

/* ---------------------------------------------------------------- ModelSummary */

static const lit_arg_spec model_summary_args[] = {
    {"max_depth", LIT_ARG_INT, "1", "Rows up to this depth of the dotted parameter names; -1 all.", 0, 0, NULL},
};

static lit_status build_model_summary(const lit_registry_args *a, const lit_registry_context *ctx,
                                      lit_callback *out) {
    lit_model_summary_params p = lit_model_summary_default_params();
    p.max_depth = (int)A_INT("max_depth");
    return built(a, lit_model_summary_callback(out, &p));
}

/* ---------------------------------------------------------------- TQDMProgressBar */

/* litc's bar redraws by time, not every refresh_rate batches, so its
 * arguments are its own (Lightning's refresh_rate would be unknown). */
static const lit_arg_spec progress_bar_args[] = {
    {"refresh_seconds", LIT_ARG_FLOAT, "0.1", "Minimum time between redraws (litc; Lightning counts batches).", 0, 0,
     NULL},
    {"is_tty", LIT_ARG_INT, "-1", "-1 detect the terminal, 1 a live bar, 0 plain lines (litc).", 0, 0, NULL},
};

static lit_status build_progress_bar(const lit_registry_args *a, const lit_registry_context *ctx,
                                     lit_callback *out) {
    lit_progress_bar_params p = lit_progress_bar_default_params();
    p.refresh_seconds = A_FLOAT("refresh_seconds");
    p.is_tty = (int)A_INT("is_tty");
    if (p.is_tty < -1 || p.is_tty > 1)
        return lit_set_error(LIT_ERR_CONFIG, "%sTQDMProgressBar.is_tty: expected -1, 0 or 1, got %d",
                             AT("is_tty"), p.is_tty);
    return built(a, lit_progress_bar_callback(out, &p));
}

/* ---------------------------------------------------------------- Timer */

static const lit_arg_spec timer_args[] = {
    {"duration", LIT_ARG_STRING, "null", "Time limit 'DD:HH:MM:SS' (e.g. '00:12:00:00'); null measures only.", 0, 0,
     NULL},
    {"interval", LIT_ARG_ENUM, "step", "Check after every training batch ('step') or epoch ('epoch').", 0, 0,
     INTERVALS},
    {"verbose", LIT_ARG_BOOL, "true", "Log when the limit is reached.", 0, 0, NULL},
};

static lit_status build_timer(const lit_registry_args *a, const lit_registry_context *ctx, lit_callback *out) {
    lit_timer_params p = lit_timer_default_params();
    if (!A_NULL("duration")) {
        lit_status st = lit_timer_parse_duration(A_STR("duration"), &p.duration);
        if (st < 0) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", lit_last_error());
            return lit_set_error(LIT_ERR_CONFIG, "%sTimer.duration: %s", AT("duration"),
                                 msg);
        }
    }
    p.interval = strcmp(A_STR("interval"), "epoch") == 0 ? LIT_INTERVAL_EPOCH : LIT_INTERVAL_STEP;
    p.verbose = A_BOOL("verbose");
    return built(a, lit_timer_callback(out, &p));
}

/* ---------------------------------------------------------------- GradientAccumulationScheduler */

static const lit_arg_spec grad_accum_args[] = {
    {"scheduling", LIT_ARG_ANY, NULL,
     "Map {epoch: factor}: accumulate `factor` batches from that (0-based) epoch on, e.g. {0: 8, 4: 4, 8: 1}.", 1, 0,
     NULL},
};

static lit_status build_grad_accum(const lit_registry_args *a, const lit_registry_context *ctx, lit_callback *out) {
    const lit_config_node *m = lit_registry_args_node(a, "scheduling");
    if (!m || lit_config_node_type(m) != LIT_CONFIG_MAP)
        return lit_set_error(LIT_ERR_CONFIG, "%sGradientAccumulationScheduler.scheduling: expected a mapping "
                             "{epoch: factor}, got %s", AT("scheduling"),
                             m ? lit_config_type_name(lit_config_node_type(m)) : "null");
    int n = lit_config_map_size(m);
    lit_accumulation_step *steps = calloc(n > 0 ? (size_t)n : 1, sizeof *steps);
    if (!steps) return lit_set_error(LIT_ERR_NOMEM, "GradientAccumulationScheduler: out of memory");
    lit_status st = LIT_OK;
    for (int i = 0; i < n && st >= 0; i++) {
        /* YAML keys are text here (config.h keeps map keys as strings), so
         * the epoch is parsed from the key. */
        const char *key = lit_config_map_key(m, i);
        const lit_config_node *v = lit_config_map_value(m, i);
        if (!yaml_is_integer(key)) {
            st = lit_config_key_error(m, i, "GradientAccumulationScheduler.scheduling: the key '%s' is not an "
                                      "epoch number", key);
            break;
        }
        int64_t f = 0;
        if (lit_config_node_type(v) != LIT_CONFIG_INT || lit_config_get_int(v, &f) < 0) {
            st = lit_config_error(v, "GradientAccumulationScheduler.scheduling.%s: expected an integer factor, "
                                  "got %s", key, lit_config_scalar(v) ? lit_config_scalar(v) : "a collection");
            break;
        }
        steps[i].epoch = strtoll(key, NULL, 10);
        steps[i].factor = f;
    }
    if (st >= 0) {
        st = lit_grad_accum_scheduler_callback(out, steps, n);
        if (st < 0) st = config_error(a, st);
    }
    free(steps);
    return st;
}

/* ---------------------------------------------------------------- StochasticWeightAveraging */

static const lit_arg_spec swa_args[] = {
    {"swa_lrs", LIT_ARG_FLOAT_LIST, NULL,
     "The SWA learning rate: one number for every param group, or a list of one per group.", 1, 0, NULL},
    {"swa_epoch_start", LIT_ARG_FLOAT, "0.8",
     "An integer: the epoch (1-based) averaging starts at; a float in [0, 1]: that share of max_epochs.", 0, 0, NULL},
    {"annealing_epochs", LIT_ARG_INT, "10", "Epochs of SWALR's annealing from the lr to swa_lrs.", 0, 0, NULL},
    {"annealing_strategy", LIT_ARG_ENUM, "cos", "SWALR's annealing: 'cos' or 'linear'.", 0, 0, ANNEAL},
};

static lit_status build_swa(const lit_registry_args *a, const lit_registry_context *ctx, lit_callback *out) {
    lit_swa_params p = lit_swa_default_params();
    int n = 0;
    const double *lrs = lit_registry_args_float_list(a, "swa_lrs", &n);
    /* A single value is Lightning's float form (every group); a list of
     * one is the same thing for a one-group optimizer, the common case. */
    if (n == 1) {
        p.swa_lr = lrs[0];
    } else {
        p.swa_lr = lrs[0];
        p.swa_lrs = lrs;
        p.n_swa_lrs = n;
    }
    /* Lightning's Union[int, float]: an integer is the epoch, a float the
     * share of max_epochs (1.0 included). */
    const char *start = lit_registry_args_yaml(a, "swa_epoch_start");
    if (yaml_is_integer(start)) {
        p.swa_epoch_start = strtoll(start, NULL, 10);
        if (p.swa_epoch_start < 1)
            return lit_set_error(LIT_ERR_CONFIG, "%sStochasticWeightAveraging.swa_epoch_start: an integer must "
                                 "be >= 1, got %s", AT("swa_epoch_start"), start);
    } else {
        p.swa_epoch_start = 0;
        p.swa_epoch_start_fraction = A_FLOAT("swa_epoch_start");
    }
    p.annealing_epochs = A_INT("annealing_epochs");
    p.annealing_strategy = strcmp(A_STR("annealing_strategy"), "linear") == 0 ? LIT_ANNEAL_LINEAR : LIT_ANNEAL_COS;
    return built(a, lit_swa_callback(out, &p));
}

/* ---------------------------------------------------------------- ExponentialMovingAverage (litc) */

static const lit_arg_spec ema_args[] = {
    {"decay", LIT_ARG_FLOAT, "0.9999", "Decay of the average, in [0, 1] (MDLM's training.ema).", 0, 0, NULL},
    {"use_num_updates", LIT_ARG_BOOL, "true", "Use min(decay, (1 + n) / (10 + n)) at update n.", 0, 0, NULL},
    {"validate_with_ema", LIT_ARG_BOOL, "true", "Validate (and sanity-check) on the averaged weights.", 0, 0, NULL},
    {"test_with_ema", LIT_ARG_BOOL, "true", "Test on the averaged weights.", 0, 0, NULL},
};

static lit_status build_ema(const lit_registry_args *a, const lit_registry_context *ctx, lit_callback *out) {
    lit_ema_params p = lit_ema_default_params();
    p.decay = A_FLOAT("decay");
    p.use_num_updates = A_BOOL("use_num_updates");
    p.validate_with_ema = A_BOOL("validate_with_ema");
    p.test_with_ema = A_BOOL("test_with_ema");
    return built(a, lit_ema_callback(out, &p));
}

/* ---------------------------------------------------------------- OnExceptionCheckpoint */

static const lit_arg_spec on_exception_args[] = {
    {"dirpath", LIT_ARG_STRING, NULL, "Directory of the checkpoint written when a fit fails.", 1, 0, NULL},
    {"filename", LIT_ARG_STRING, "on_exception", "Its name without .ckpt.", 0, 0, NULL},
};

static lit_status build_on_exception(const lit_registry_args *a, const lit_registry_context *ctx,
                                     lit_callback *out) {
    return built(a, lit_on_exception_checkpoint_callback(out, A_STR("dirpath"), A_STR("filename")));
}

/* ---------------------------------------------------------------- BackboneFinetuning */

static const lit_arg_spec backbone_args[] = {
    {"backbone", LIT_ARG_STRING, "backbone",
     "Parameter-name prefix of the backbone (litc; Lightning uses the module's `backbone` attribute).", 0, 0, NULL},
    {"unfreeze_backbone_at_epoch", LIT_ARG_INT, "10", "Epoch at which the backbone is unfrozen.", 0, 0, NULL},
    {"backbone_initial_ratio_lr", LIT_ARG_FLOAT, "0.1", "Backbone lr = this * the current lr, at the unfreeze.", 0,
     0, NULL},
    {"backbone_initial_lr", LIT_ARG_FLOAT, "null", "The backbone's lr at the unfreeze; null: the ratio above.", 0, 0,
     NULL},
    {"should_align", LIT_ARG_BOOL, "true", "Never let the backbone lr exceed the model's.", 0, 0, NULL},
    {"verbose", LIT_ARG_BOOL, "false", "Log both lrs at each change.", 0, 0, NULL},
    {"rounding", LIT_ARG_INT, "12", "Digits of the logged lrs.", 0, 0, NULL},
};

static lit_status build_backbone(const lit_registry_args *a, const lit_registry_context *ctx, lit_callback *out) {
    lit_backbone_finetuning_params p = lit_backbone_finetuning_default_params();
    p.backbone = A_STR("backbone");
    p.unfreeze_backbone_at_epoch = A_INT("unfreeze_backbone_at_epoch");
    p.backbone_initial_ratio_lr = A_FLOAT("backbone_initial_ratio_lr");
    p.backbone_initial_lr = A_NULL("backbone_initial_lr") ? NAN : A_FLOAT("backbone_initial_lr");
    p.should_align = A_BOOL("should_align");
    p.verbose = A_BOOL("verbose");
    p.rounding = (int)A_INT("rounding");
    return built(a, lit_backbone_finetuning_callback(out, &p));
}

/* ---------------------------------------------------------------- ThroughputMonitor */

/* Lightning requires batch_size_fn, a callable; litc's default counts
 * batch->size, which is what a config can mean. */
static const lit_arg_spec throughput_args[] = {
    {"window_size", LIT_ARG_INT, "100", "Batches of the rolling averages (>= 2).", 0, 0, NULL},
    {"separator", LIT_ARG_STRING, "/", "Separator of the logged keys ('train/device/samples_per_sec').", 0, 0, NULL},
    {"available_flops", LIT_ARG_FLOAT, "null", "FLOP/s of the device, for device/mfu; null: unknown.", 0, 0, NULL},
};

static lit_status build_throughput(const lit_registry_args *a, const lit_registry_context *ctx, lit_callback *out) {
    lit_throughput_monitor_params p = lit_throughput_monitor_default_params();
    p.window_size = (int)A_INT("window_size");
    p.separator = A_STR("separator");
    p.available_flops = A_NULL("available_flops") ? 0.0 : A_FLOAT("available_flops");
    return built(a, lit_throughput_monitor_callback(out, &p));
}

/* ================================================================ loggers */

/* Where every logger writes: save_dir/name/version. */
#define LOGGER_DIR_ARGS                                                                                           \
    {"save_dir", LIT_ARG_STRING, "null", "Root of the logs. null: trainer.default_root_dir (or '.').", 0, 0, NULL}, \
    {"name", LIT_ARG_STRING, "lightning_logs", "Experiment folder under save_dir; '' puts versions in save_dir.", \
     0, 0, NULL},                                                                                                 \
    {"version", LIT_ARG_STRING, "null",                                                                           \
     "null: the next free version_N; an integer N: version_N; another string: that folder name.", 0, 0, NULL}

#define LOGGER_COMMON_ARGS \
    LOGGER_DIR_ARGS, {"prefix", LIT_ARG_STRING, "''", "Keys become '<prefix>-<key>'.", 0, 0, NULL}

/* LOGGER_DIR_ARGS into a logger's params. */
static void logger_dir_of(const lit_registry_args *a, const lit_registry_context *ctx, const char **save_dir,
                          const char **name, int64_t *version, const char **version_name) {
    *save_dir = save_dir_of(a, ctx);
    *name = A_STR("name");
    version_of(a, version, version_name);
}

static const lit_arg_spec csv_args[] = {
    LOGGER_COMMON_ARGS,
    {"flush_logs_every_n_steps", LIT_ARG_INT, "100", "Write metrics.csv every n steps (and at the end).", 0, 0, NULL},
};

static lit_status build_csv(const lit_registry_args *a, const lit_registry_context *ctx, lit_logger *out) {
    lit_csv_logger_params p = lit_csv_logger_default_params();
    logger_dir_of(a, ctx, &p.save_dir, &p.name, &p.version, &p.version_name);
    p.prefix = A_STR("prefix");
    p.flush_logs_every_n_steps = A_INT("flush_logs_every_n_steps");
    return built(a, lit_csv_logger(out, &p));
}

static const lit_arg_spec tensorboard_args[] = {
    LOGGER_COMMON_ARGS,
    {"sub_dir", LIT_ARG_STRING, "null", "Write the events into log_dir/<sub_dir>.", 0, 0, NULL},
    {"default_hp_metric", LIT_ARG_BOOL, "true", "Log hp_metric = -1 with the hparams (the HPARAMS tab needs it).",
     0, 0, NULL},
    {"filename_suffix", LIT_ARG_STRING, "''", "Suffix of the events file name (SummaryWriter's).", 0, 0, NULL},
    {"max_queue", LIT_ARG_INT, "10", "Flush every so many events (SummaryWriter's).", 0, 0, NULL},
    {"flush_secs", LIT_ARG_FLOAT, "120", "Flush every so many seconds (SummaryWriter's).", 0, 0, NULL},
};

static lit_status build_tensorboard(const lit_registry_args *a, const lit_registry_context *ctx, lit_logger *out) {
    lit_tensorboard_logger_params p = lit_tensorboard_logger_default_params();
    logger_dir_of(a, ctx, &p.save_dir, &p.name, &p.version, &p.version_name);
    p.prefix = A_STR("prefix");
    p.sub_dir = A_STR("sub_dir");
    p.default_hp_metric = A_BOOL("default_hp_metric");
    p.filename_suffix = A_STR("filename_suffix");
    p.max_queue = (int)A_INT("max_queue");
    p.flush_secs = A_FLOAT("flush_secs");
    return built(a, lit_tensorboard_logger(out, &p));
}

static const lit_arg_spec jsonl_args[] = {
    LOGGER_COMMON_ARGS,
    {"file_name", LIT_ARG_STRING, "metrics.jsonl", "The file in log_dir.", 0, 0, NULL},
};

static lit_status build_jsonl(const lit_registry_args *a, const lit_registry_context *ctx, lit_logger *out) {
    lit_jsonl_logger_params p = lit_jsonl_logger_default_params();
    logger_dir_of(a, ctx, &p.save_dir, &p.name, &p.version, &p.version_name);
    p.prefix = A_STR("prefix");
    p.file_name = A_STR("file_name");
    return built(a, lit_jsonl_logger(out, &p));
}

static const lit_arg_spec html_report_args[] = {
    LOGGER_DIR_ARGS,
    {"file_name", LIT_ARG_STRING, "report.html", "The page's file in log_dir.", 0, 0, NULL},
    {"title", LIT_ARG_STRING, "litc run report", "The page's title.", 0, 0, NULL},
    {"refresh_secs", LIT_ARG_FLOAT, "60", "Rewrite the page at least this often while metrics arrive; <= 0 off.", 0,
     0, NULL},
    {"reload_secs", LIT_ARG_INT, "30", "A running page reloads itself this often in the browser; 0 off.", 0, 0, NULL},
};

static lit_status build_html_report(const lit_registry_args *a, const lit_registry_context *ctx, lit_logger *out) {
    lit_html_report_params p = lit_html_report_default_params();
    logger_dir_of(a, ctx, &p.save_dir, &p.name, &p.version, &p.version_name);
    p.file_name = A_STR("file_name");
    p.title = A_STR("title");
    p.refresh_secs = A_FLOAT("refresh_secs");
    p.reload_secs = (int)A_INT("reload_secs");
    return built(a, lit_html_report_logger(out, &p));
}

/* ================================================================ optimizers */

static lit_status optimizer_made(const lit_registry_args *a, lit_optimizer *opt, lit_optimizer **out) {
    /* The constructors return NULL with LIT_ERR_INVALID_ARG (a bad value,
     * named) or LIT_ERR_NOMEM; from a config both are config errors but
     * memory. */
    if (!opt) return config_error(a, strstr(lit_last_error(), "memory") ? LIT_ERR_NOMEM : LIT_ERR_CONFIG);
    *out = opt;
    return LIT_OK;
}

/* The rows every optimizer shares (torch's names, defaults and meaning). */
#define OPT_LR_ARG {"lr", LIT_ARG_FLOAT, "0.001", "Learning rate.", 0, 0, NULL}
#define OPT_WEIGHT_DECAY_ARG(wd, wd_doc) {"weight_decay", LIT_ARG_FLOAT, wd, wd_doc, 0, 0, NULL}
#define OPT_L2_DOC "L2 penalty added to the gradient."
#define OPT_MAXIMIZE_ARG {"maximize", LIT_ARG_BOOL, "false", "Ascend instead of descend.", 0, 0, NULL}

static const lit_arg_spec sgd_args[] = {
    OPT_LR_ARG,
    {"momentum", LIT_ARG_FLOAT, "0.0", "Momentum factor.", 0, 0, NULL},
    {"dampening", LIT_ARG_FLOAT, "0.0", "Dampening of the momentum.", 0, 0, NULL},
    OPT_WEIGHT_DECAY_ARG("0.0", OPT_L2_DOC),
    {"nesterov", LIT_ARG_BOOL, "false", "Nesterov momentum (needs momentum > 0, dampening 0).", 0, 0, NULL},
    OPT_MAXIMIZE_ARG,
};

static lit_status build_sgd(const lit_registry_args *a, const lit_registry_context *ctx, lit_tensor *const *params,
                            int n, lit_optimizer **out) {
    lit_sgd_params p = lit_sgd_default_params();
    p.lr = A_FLOAT("lr");
    p.momentum = A_FLOAT("momentum");
    p.dampening = A_FLOAT("dampening");
    p.weight_decay = A_FLOAT("weight_decay");
    p.nesterov = A_BOOL("nesterov");
    p.maximize = A_BOOL("maximize");
    return optimizer_made(a, lit_sgd_new(&p, params, n), out);
}

#define ADAM_ARGS(wd, wd_doc)                                                                                    \
    OPT_LR_ARG,                                                                                                  \
    {"betas", LIT_ARG_FLOAT_LIST, "[0.9, 0.999]", "Decay rates of the first and second moment estimates.", 0, 0, \
     NULL},                                                                                                      \
    {"eps", LIT_ARG_FLOAT, "1e-08", "Added to the denominator for stability.", 0, 0, NULL},                      \
    OPT_WEIGHT_DECAY_ARG(wd, wd_doc),                                                                            \
    {"amsgrad", LIT_ARG_BOOL, "false", "Use the AMSGrad variant (the max of past second moments).", 0, 0, NULL}, \
    OPT_MAXIMIZE_ARG

static const lit_arg_spec adam_args[] = {ADAM_ARGS("0.0", OPT_L2_DOC)};
static const lit_arg_spec adamw_args[] = {ADAM_ARGS("0.01", "Decoupled weight decay (p *= 1 - lr * weight_decay).")};

static lit_status adam_params_of(const lit_registry_args *a, lit_adam_params *p) {
    int nb = 0;
    const double *b = lit_registry_args_float_list(a, "betas", &nb);
    if (nb != 2)
        return lit_set_error(LIT_ERR_CONFIG, "%s%s.betas: expected 2 numbers, got %d", AT("betas"),
                             lit_registry_args_class(a)->name, nb);
    p->lr = A_FLOAT("lr");
    p->betas[0] = b[0];
    p->betas[1] = b[1];
    p->eps = A_FLOAT("eps");
    p->weight_decay = A_FLOAT("weight_decay");
    p->amsgrad = A_BOOL("amsgrad");
    p->maximize = A_BOOL("maximize");
    return LIT_OK;
}

static lit_status build_adam(const lit_registry_args *a, const lit_registry_context *ctx, lit_tensor *const *params,
                             int n, lit_optimizer **out) {
    lit_adam_params p = lit_adam_default_params();
    LIT_TRY(adam_params_of(a, &p));
    return optimizer_made(a, lit_adam_new(&p, params, n), out);
}

static lit_status build_adamw(const lit_registry_args *a, const lit_registry_context *ctx,
                              lit_tensor *const *params, int n, lit_optimizer **out) {
    lit_adam_params p = lit_adamw_default_params();
    LIT_TRY(adam_params_of(a, &p));
    return optimizer_made(a, lit_adamw_new(&p, params, n), out);
}

/* ================================================================ lr schedulers */

/* Lightning's lr_scheduler config keys (interval, frequency, monitor, name,
 * strict) sit in every scheduler's init_args: a LightningCLI config has no
 * other place for them (its ReduceLROnPlateau takes monitor the same way). */
#define SCHED_COMMON_ARGS(interval_default, monitor_required)                                                  \
    {"interval", LIT_ARG_ENUM, interval_default,                                                               \
     "Lightning's lr_scheduler config: step the scheduler every 'epoch' or every optimizer 'step'.", 0, 0,     \
     INTERVALS},                                                                                                 \
    {"frequency", LIT_ARG_INT, "1", "Lightning's lr_scheduler config: step every `frequency` intervals.", 0, 0, \
     NULL},                                                                                                      \
    {"monitor", LIT_ARG_STRING, monitor_required ? NULL : "null",                                                \
     "Lightning's lr_scheduler config: the metric ReduceLROnPlateau is stepped with.", monitor_required, 0,     \
     NULL},                                                                                                      \
    {"name", LIT_ARG_STRING, "null", "Lightning's lr_scheduler config: the LearningRateMonitor key.", 0, 0,     \
     NULL},                                                                                                      \
    {"strict", LIT_ARG_BOOL, "true",                                                                             \
     "Lightning's lr_scheduler config: a missing monitor fails the fit (false: warn and skip).", 0, 0, NULL}

/* Rows more than one scheduler has. */
#define SCHED_GAMMA_ARG {"gamma", LIT_ARG_FLOAT, "0.1", "Multiplicative factor.", 0, 0, NULL}
#define SCHED_ETA_MIN_ARG {"eta_min", LIT_ARG_FLOAT, "0.0", "The lowest lr.", 0, 0, NULL}

/* The common keys into *out, around the scheduler the caller made. */
static lit_status scheduler_made(const lit_registry_args *a, lit_scheduler *s, lit_lr_scheduler_config *out) {
    if (!s) return config_error(a, strstr(lit_last_error(), "memory") ? LIT_ERR_NOMEM : LIT_ERR_CONFIG);
    memset(out, 0, sizeof *out);
    out->scheduler = s;
    out->interval = strcmp(A_STR("interval"), "step") == 0 ? LIT_INTERVAL_STEP : LIT_INTERVAL_EPOCH;
    int64_t freq = A_INT("frequency");
    lit_status st = LIT_OK;
    if (freq < 1 || freq > 1000000000) {
        st = lit_set_error(LIT_ERR_CONFIG, "%s%s.frequency: expected an integer >= 1, got %lld", AT("frequency"),
                           lit_registry_args_class(a)->name, (long long)freq);
        goto fail;
    }
    out->frequency = (int)freq;
    /* lit_lr_scheduler_config keeps these pointers without copying: intern
     * them so they outlive the args. */
    out->monitor = A_NULL("monitor") ? NULL : lit_registry_intern(A_STR("monitor"));
    out->name = A_NULL("name") ? NULL : lit_registry_intern(A_STR("name"));
    if ((!A_NULL("monitor") && !out->monitor) || (!A_NULL("name") && !out->name)) {
        st = lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", lit_registry_args_class(a)->name);
        goto fail;
    }
    out->strict = A_BOOL("strict") ? 0 : -1;
    out->opt_idx = 0;
    return LIT_OK;
fail:
    lit_scheduler_free(s);
    memset(out, 0, sizeof *out);
    return st;
}

static const lit_arg_spec step_lr_args[] = {
    {"step_size", LIT_ARG_INT, NULL, "Multiply the lr by gamma every step_size epochs (or steps).", 1, 0, NULL},
    SCHED_GAMMA_ARG,
    SCHED_COMMON_ARGS("epoch", 0),
};

static lit_status build_step_lr(const lit_registry_args *a, const lit_registry_context *ctx, lit_optimizer *opt,
                                lit_lr_scheduler_config *out) {
    lit_step_lr_params p = lit_step_lr_default_params();
    p.step_size = A_INT("step_size");
    p.gamma = A_FLOAT("gamma");
    return scheduler_made(a, lit_step_lr_new(opt, &p), out);
}

static const lit_arg_spec multistep_lr_args[] = {
    {"milestones", LIT_ARG_INT_LIST, NULL, "Epochs (or steps) at which the lr is multiplied by gamma.", 1, 0, NULL},
    SCHED_GAMMA_ARG,
    SCHED_COMMON_ARGS("epoch", 0),
};

static lit_status build_multistep_lr(const lit_registry_args *a, const lit_registry_context *ctx,
                                     lit_optimizer *opt, lit_lr_scheduler_config *out) {
    lit_multistep_lr_params p = lit_multistep_lr_default_params();
    p.milestones = lit_registry_args_int_list(a, "milestones", &p.n_milestones);
    p.gamma = A_FLOAT("gamma");
    return scheduler_made(a, lit_multistep_lr_new(opt, &p), out);
}

static const lit_arg_spec exponential_lr_args[] = {
    {"gamma", LIT_ARG_FLOAT, NULL, "Multiply the lr by gamma every epoch (or step).", 1, 0, NULL},
    SCHED_COMMON_ARGS("epoch", 0),
};

static lit_status build_exponential_lr(const lit_registry_args *a, const lit_registry_context *ctx,
                                       lit_optimizer *opt, lit_lr_scheduler_config *out) {
    lit_exponential_lr_params p = lit_exponential_lr_default_params();
    p.gamma = A_FLOAT("gamma");
    return scheduler_made(a, lit_exponential_lr_new(opt, &p), out);
}

static const lit_arg_spec cosine_lr_args[] = {
    {"T_max", LIT_ARG_INT, NULL, "Epochs (or steps) of the half cosine.", 1, 0, NULL},
    SCHED_ETA_MIN_ARG,
    SCHED_COMMON_ARGS("epoch", 0),
};

static lit_status build_cosine_lr(const lit_registry_args *a, const lit_registry_context *ctx, lit_optimizer *opt,
                                  lit_lr_scheduler_config *out) {
    lit_cosine_lr_params p = lit_cosine_lr_default_params();
    p.T_max = A_INT("T_max");
    p.eta_min = A_FLOAT("eta_min");
    return scheduler_made(a, lit_cosine_lr_new(opt, &p), out);
}

static const lit_arg_spec cosine_warm_args[] = {
    {"T_0", LIT_ARG_INT, NULL, "Epochs (or steps) of the first cycle.", 1, 0, NULL},
    {"T_mult", LIT_ARG_INT, "1", "Each cycle is T_mult times longer than the one before.", 0, 0, NULL},
    SCHED_ETA_MIN_ARG,
    SCHED_COMMON_ARGS("epoch", 0),
};

static lit_status build_cosine_warm(const lit_registry_args *a, const lit_registry_context *ctx, lit_optimizer *opt,
                                    lit_lr_scheduler_config *out) {
    lit_cosine_warm_restarts_params p = lit_cosine_warm_restarts_default_params();
    p.T_0 = A_INT("T_0");
    p.T_mult = A_INT("T_mult");
    p.eta_min = A_FLOAT("eta_min");
    return scheduler_made(a, lit_cosine_warm_restarts_new(opt, &p), out);
}

static const lit_arg_spec linear_lr_args[] = {
    {"start_factor", LIT_ARG_FLOAT, "0.3333333333333333", "lr factor at the start, in (0, 1].", 0, 0, NULL},
    {"end_factor", LIT_ARG_FLOAT, "1.0", "lr factor after total_iters, in [0, 1].", 0, 0, NULL},
    {"total_iters", LIT_ARG_INT, "5", "Epochs (or steps) of the ramp.", 0, 0, NULL},
    SCHED_COMMON_ARGS("epoch", 0),
};

static lit_status build_linear_lr(const lit_registry_args *a, const lit_registry_context *ctx, lit_optimizer *opt,
                                  lit_lr_scheduler_config *out) {
    lit_linear_lr_params p = lit_linear_lr_default_params();
    p.start_factor = A_FLOAT("start_factor");
    p.end_factor = A_FLOAT("end_factor");
    p.total_iters = A_INT("total_iters");
    return scheduler_made(a, lit_linear_lr_new(opt, &p), out);
}

static const lit_arg_spec constant_lr_args[] = {
    {"factor", LIT_ARG_FLOAT, "0.3333333333333333", "lr factor until total_iters, in [0, 1].", 0, 0, NULL},
    {"total_iters", LIT_ARG_INT, "5", "Epochs (or steps) with the reduced lr.", 0, 0, NULL},
    SCHED_COMMON_ARGS("epoch", 0),
};

static lit_status build_constant_lr(const lit_registry_args *a, const lit_registry_context *ctx, lit_optimizer *opt,
                                    lit_lr_scheduler_config *out) {
    lit_constant_lr_params p = lit_constant_lr_default_params();
    p.factor = A_FLOAT("factor");
    p.total_iters = A_INT("total_iters");
    return scheduler_made(a, lit_constant_lr_new(opt, &p), out);
}

static const lit_arg_spec polynomial_lr_args[] = {
    {"total_iters", LIT_ARG_INT, "5", "Epochs (or steps) of the decay.", 0, 0, NULL},
    {"power", LIT_ARG_FLOAT, "1.0", "Power of the polynomial.", 0, 0, NULL},
    SCHED_COMMON_ARGS("epoch", 0),
};

static lit_status build_polynomial_lr(const lit_registry_args *a, const lit_registry_context *ctx,
                                      lit_optimizer *opt, lit_lr_scheduler_config *out) {
    lit_polynomial_lr_params p = lit_polynomial_lr_default_params();
    p.total_iters = A_INT("total_iters");
    p.power = A_FLOAT("power");
    return scheduler_made(a, lit_polynomial_lr_new(opt, &p), out);
}

/* OneCycleLR runs per batch, so its interval defaults to "step" (Lightning
 * defaults every scheduler to "epoch", which would make a config that
 * leaves total_steps to the Trainer run one cycle per total_steps epochs). */
static const lit_arg_spec one_cycle_args[] = {
    {"max_lr", LIT_ARG_FLOAT_LIST, NULL, "Peak lr: one number, or one per param group.", 1, 0, NULL},
    {"total_steps", LIT_ARG_INT, "null",
     "Steps of the cycle. null: epochs * steps_per_epoch, or else the Trainer's estimated_stepping_batches.", 0, 0,
     NULL},
    {"epochs", LIT_ARG_INT, "null", "With steps_per_epoch, the cycle's length when total_steps is null.", 0, 0, NULL},
    {"steps_per_epoch", LIT_ARG_INT, "null", "See epochs.", 0, 0, NULL},
    {"pct_start", LIT_ARG_FLOAT, "0.3", "Share of the cycle spent increasing the lr.", 0, 0, NULL},
    {"anneal_strategy", LIT_ARG_ENUM, "cos", "'cos' or 'linear' annealing.", 0, 0, ANNEAL},
    {"cycle_momentum", LIT_ARG_BOOL, "true", "Move momentum (SGD) or beta1 (Adam) inversely to the lr.", 0, 0, NULL},
    {"base_momentum", LIT_ARG_FLOAT, "0.85", "Lowest momentum.", 0, 0, NULL},
    {"max_momentum", LIT_ARG_FLOAT, "0.95", "Highest momentum.", 0, 0, NULL},
    {"div_factor", LIT_ARG_FLOAT, "25.0", "Initial lr = max_lr / div_factor.", 0, 0, NULL},
    {"final_div_factor", LIT_ARG_FLOAT, "10000.0", "Final lr = initial lr / final_div_factor.", 0, 0, NULL},
    {"three_phase", LIT_ARG_BOOL, "false", "Go back to the initial lr before annealing to the final one.", 0, 0,
     NULL},
    SCHED_COMMON_ARGS("step", 0),
};

static lit_status build_one_cycle(const lit_registry_args *a, const lit_registry_context *ctx, lit_optimizer *opt,
                                  lit_lr_scheduler_config *out) {
    lit_one_cycle_lr_params p = lit_one_cycle_lr_default_params();
    int n = 0;
    const double *lrs = lit_registry_args_float_list(a, "max_lr", &n);
    p.max_lr = lrs[0];
    if (n > 1) p.max_lrs = lrs;
    if (n > 1 && n != lit_optimizer_num_groups(opt))
        return lit_set_error(LIT_ERR_CONFIG, "%sOneCycleLR.max_lr: %d values for an optimizer with %d param "
                             "groups", AT("max_lr"), n, lit_optimizer_num_groups(opt));
    p.total_steps = A_NULL("total_steps") ? 0 : A_INT("total_steps");
    p.epochs = A_NULL("epochs") ? 0 : A_INT("epochs");
    p.steps_per_epoch = A_NULL("steps_per_epoch") ? 0 : A_INT("steps_per_epoch");
    if (A_NULL("total_steps") && (A_NULL("epochs") || A_NULL("steps_per_epoch"))) {
        /* Lightning users write total_steps: ${trainer.estimated_stepping_batches}
         * in code; a config leaves it null and litc asks the Trainer. */
        if (!ctx->trainer)
            return lit_set_error(LIT_ERR_CONFIG, "%sOneCycleLR: total_steps is null and epochs/steps_per_epoch "
                                 "are not both set; give one or build it from configure_optimizers during fit",
                                 AT("total_steps"));
        int64_t est = lit_trainer_estimated_stepping_batches(ctx->trainer);
        if (est <= 0 || est == INT64_MAX)
            return lit_set_error(LIT_ERR_CONFIG, "%sOneCycleLR: total_steps is null and the fit is unbounded "
                                 "(estimated_stepping_batches %lld); set total_steps or max_epochs/max_steps",
                                 AT("total_steps"), (long long)est);
        p.total_steps = est;
    }
    p.pct_start = A_FLOAT("pct_start");
    p.anneal_strategy = strcmp(A_STR("anneal_strategy"), "linear") == 0 ? LIT_ANNEAL_LINEAR : LIT_ANNEAL_COS;
    p.cycle_momentum = A_BOOL("cycle_momentum");
    p.base_momentum = A_FLOAT("base_momentum");
    p.max_momentum = A_FLOAT("max_momentum");
    p.div_factor = A_FLOAT("div_factor");
    p.final_div_factor = A_FLOAT("final_div_factor");
    p.three_phase = A_BOOL("three_phase");
    return scheduler_made(a, lit_one_cycle_lr_new(opt, &p), out);
}

static const char *const THRESHOLD_MODES[] = {"rel", "abs", NULL};

static const lit_arg_spec plateau_args[] = {
    {"mode", LIT_ARG_ENUM, "min", "Whether the monitored value should go down (min) or up (max).", 0, 0, MODES},
    {"factor", LIT_ARG_FLOAT, "0.1", "Multiply the lr by this on a plateau (< 1).", 0, 0, NULL},
    {"patience", LIT_ARG_INT, "10", "Checks without improvement before reducing.", 0, 0, NULL},
    {"threshold", LIT_ARG_FLOAT, "0.0001", "How much better counts as an improvement.", 0, 0, NULL},
    {"threshold_mode", LIT_ARG_ENUM, "rel", "threshold relative to the best ('rel') or absolute ('abs').", 0, 0,
     THRESHOLD_MODES},
    {"cooldown", LIT_ARG_INT, "0", "Checks to wait after a reduction.", 0, 0, NULL},
    {"min_lr", LIT_ARG_FLOAT_LIST, "0.0", "Lower bound of the lr: one number, or one per param group.", 0, 0, NULL},
    {"eps", LIT_ARG_FLOAT, "1e-08", "Smaller lr changes are skipped.", 0, 0, NULL},
    SCHED_COMMON_ARGS("epoch", 1),
};

static lit_status build_plateau(const lit_registry_args *a, const lit_registry_context *ctx, lit_optimizer *opt,
                                lit_lr_scheduler_config *out) {
    lit_reduce_lr_on_plateau_params p = lit_reduce_lr_on_plateau_default_params();
    p.mode = strcmp(A_STR("mode"), "max") == 0 ? LIT_SCHED_MAX : LIT_SCHED_MIN;
    p.factor = A_FLOAT("factor");
    p.patience = A_INT("patience");
    p.threshold = A_FLOAT("threshold");
    p.threshold_mode = strcmp(A_STR("threshold_mode"), "abs") == 0 ? LIT_THRESHOLD_ABS : LIT_THRESHOLD_REL;
    p.cooldown = A_INT("cooldown");
    int n = 0;
    const double *mins = lit_registry_args_float_list(a, "min_lr", &n);
    p.min_lr = n > 0 ? mins[0] : 0.0;
    if (n > 1) {
        if (n != lit_optimizer_num_groups(opt))
            return lit_set_error(LIT_ERR_CONFIG, "%sReduceLROnPlateau.min_lr: %d values for an optimizer with %d "
                                 "param groups", AT("min_lr"), n,
                                 lit_optimizer_num_groups(opt));
        p.min_lrs = mins;
    }
    p.eps = A_FLOAT("eps");
    return scheduler_made(a, lit_reduce_lr_on_plateau_new(opt, &p), out);
}

/* ================================================================ the table */

#define CALLBACK_CLASS(nm, args_, fn, doc_) \
    { .kind = LIT_REG_CALLBACK, .name = nm, .aliases = ALIASES_CB(nm), .doc = doc_, .args = args_, \
      .n_args = N_ARGS(args_), .build_callback = fn }
/* litc's own callbacks: no Lightning class_path to mimic. */
#define LITC_CALLBACK_CLASS(nm, args_, fn, doc_) \
    { .kind = LIT_REG_CALLBACK, .name = nm, .aliases = {"litc.callbacks." nm}, .doc = doc_, .args = args_, \
      .n_args = N_ARGS(args_), .build_callback = fn }
#define LOGGER_CLASS(nm, args_, fn, doc_) \
    { .kind = LIT_REG_LOGGER, .name = nm, .aliases = ALIASES_LOG(nm), .doc = doc_, .args = args_, \
      .n_args = N_ARGS(args_), .build_logger = fn }
#define OPTIMIZER_CLASS(nm, args_, fn, doc_) \
    { .kind = LIT_REG_OPTIMIZER, .name = nm, .aliases = ALIASES_OPT(nm), .doc = doc_, .args = args_, \
      .n_args = N_ARGS(args_), .build_optimizer = fn }
#define SCHEDULER_CLASS(nm, args_, fn, doc_) \
    { .kind = LIT_REG_LR_SCHEDULER, .name = nm, .aliases = ALIASES_SCHED(nm), .doc = doc_, .args = args_, \
      .n_args = N_ARGS(args_), .build_lr_scheduler = fn }

static const lit_registry_class builtin_classes[] = {
    CALLBACK_CLASS("ModelCheckpoint", model_checkpoint_args, build_model_checkpoint,
                   "Save checkpoints: the top-k by a monitored metric and/or the last one (Lightning's "
                   "ModelCheckpoint)."),
    CALLBACK_CLASS("EarlyStopping", early_stopping_args, build_early_stopping,
                   "Stop the fit when a monitored metric stops improving (Lightning's EarlyStopping)."),
    CALLBACK_CLASS("LearningRateMonitor", lr_monitor_args, build_lr_monitor,
                   "Log the learning rates (and optionally momentum and weight decay) to the loggers."),
    CALLBACK_CLASS("ModelSummary", model_summary_args, build_model_summary,
                   "Print the table of the module's parameters at fit start."),
    CALLBACK_CLASS("TQDMProgressBar", progress_bar_args, build_progress_bar,
                   "The progress bar of the training, validation, test and predict loops."),
    CALLBACK_CLASS("Timer", timer_args, build_timer,
                   "Measure the time of each stage and stop training after a duration."),
    CALLBACK_CLASS("GradientAccumulationScheduler", grad_accum_args, build_grad_accum,
                   "Change accumulate_grad_batches by epoch."),
    CALLBACK_CLASS("StochasticWeightAveraging", swa_args, build_swa,
                   "Average the weights of the last epochs with SWALR's learning rate (Lightning's SWA)."),
    LITC_CALLBACK_CLASS("ExponentialMovingAverage", ema_args, build_ema,
                   "Keep an exponential moving average of the weights and validate/test on it (litc; MDLM's EMA)."),
    CALLBACK_CLASS("OnExceptionCheckpoint", on_exception_args, build_on_exception,
                   "Write a checkpoint when a fit fails, to resume from it."),
    CALLBACK_CLASS("BackboneFinetuning", backbone_args, build_backbone,
                   "Freeze the backbone, unfreeze it at an epoch with its own learning rate."),
    CALLBACK_CLASS("ThroughputMonitor", throughput_args, build_throughput,
                   "Log batches, samples and items per second (and flops, MFU) per stage."),

    LOGGER_CLASS("CSVLogger", csv_args, build_csv, "metrics.csv and hparams.yaml under save_dir/name/version_N."),
    LOGGER_CLASS("TensorBoardLogger", tensorboard_args, build_tensorboard,
                 "TensorBoard event files (scalars and the HPARAMS tab) under save_dir/name/version_N."),
    LOGGER_CLASS("JSONLLogger", jsonl_args, build_jsonl,
                 "One JSON object per line (hparams, metrics, finalize) under save_dir/name/version_N (litc)."),
    LOGGER_CLASS("HTMLReport", html_report_args, build_html_report,
                 "A self-contained report.html (charts and tables) under save_dir/name/version_N (litc)."),

    OPTIMIZER_CLASS("SGD", sgd_args, build_sgd, "Stochastic gradient descent with momentum (torch.optim.SGD)."),
    OPTIMIZER_CLASS("Adam", adam_args, build_adam, "Adam (torch.optim.Adam)."),
    OPTIMIZER_CLASS("AdamW", adamw_args, build_adamw, "Adam with decoupled weight decay (torch.optim.AdamW)."),

    SCHEDULER_CLASS("StepLR", step_lr_args, build_step_lr, "Decay the lr by gamma every step_size epochs."),
    SCHEDULER_CLASS("MultiStepLR", multistep_lr_args, build_multistep_lr, "Decay the lr by gamma at each milestone."),
    SCHEDULER_CLASS("ExponentialLR", exponential_lr_args, build_exponential_lr,
                    "Decay the lr by gamma every epoch."),
    SCHEDULER_CLASS("CosineAnnealingLR", cosine_lr_args, build_cosine_lr,
                    "Cosine annealing from the lr to eta_min over T_max epochs."),
    SCHEDULER_CLASS("CosineAnnealingWarmRestarts", cosine_warm_args, build_cosine_warm,
                    "Cosine annealing with warm restarts (SGDR)."),
    SCHEDULER_CLASS("LinearLR", linear_lr_args, build_linear_lr,
                    "Scale the lr linearly from start_factor to end_factor over total_iters."),
    SCHEDULER_CLASS("ConstantLR", constant_lr_args, build_constant_lr,
                    "Scale the lr by factor until total_iters."),
    SCHEDULER_CLASS("PolynomialLR", polynomial_lr_args, build_polynomial_lr,
                    "Polynomial decay of the lr over total_iters."),
    SCHEDULER_CLASS("OneCycleLR", one_cycle_args, build_one_cycle, "The 1cycle policy, stepped every batch."),
    SCHEDULER_CLASS("ReduceLROnPlateau", plateau_args, build_plateau,
                    "Reduce the lr when a monitored metric has stopped improving."),
};

/* Set once the table is in; lit_registry_clear resets it (registry.c). */
int lit__registry_builtins_done;
/* registry.c: the class named or aliased `s`, or NULL; sets no error. */
const lit_registry_class *lit__registry_lookup(lit_registry_kind kind, const char *s);

lit_status lit_registry_register_builtins(void) {
    if (lit__registry_builtins_done) return LIT_OK;
    for (size_t i = 0; i < sizeof builtin_classes / sizeof builtin_classes[0]; i++) {
        /* A user class registered first under a builtin name wins; the
         * builtin is then skipped rather than failing start-up. */
        const lit_registry_class *c = &builtin_classes[i];
        if (lit__registry_lookup(c->kind, c->name)) continue;
        LIT_TRY(lit_registry_register(c));
    }
    lit__registry_builtins_done = 1;
    return LIT_OK;
}
