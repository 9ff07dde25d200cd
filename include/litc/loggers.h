/*
 * litc/loggers.h — experiment loggers (Lightning's loggers): where the
 * Trainer sends logged metrics and hyperparameters. Several can be attached
 * at once; each writes under <save_dir>/<name>/version_<N>/ (Lightning's
 * layout: <default_root_dir>/lightning_logs/version_N/ by default, N the
 * next free number when the logger first needs it).
 *
 * The Trainer calls, as Lightning's logger connector does:
 *   - log_hyperparams once at fit/validate/test start with the module's
 *     hparams;
 *   - log_metrics(step metrics, step = global_step) after training batches
 *     whose global_step is a multiple of log_every_n_steps (and the last);
 *   - log_metrics(epoch metrics, step) at the end of every train epoch and
 *     every validation/test run, with "epoch" added;
 *   - save after those, finalize("success" | "failed" | "interrupted") when
 *     the run ends.
 * A logger that fails never loses the run or its checkpoints: the Trainer
 * reports the error once (LIT_LOG_ERROR naming the logger and file) and
 * stops calling that logger.
 *
 * Intended usage:
 *
 *     lit_csv_logger_params cp = lit_csv_logger_default_params();
 *     cp.save_dir = "logs";                         // logs/lightning_logs/version_N/
 *     lit_logger lg;
 *     LIT_TRY(lit_csv_logger(&lg, &cp));
 *     LIT_TRY(lit_trainer_add_logger(tr, &lg));     // copied; freed with the trainer
 *
 * Start params from the *_default_params() function (as for callbacks):
 * `version` is -1 there ("next free"), which a zeroed struct would not say.
 *
 * Errors of the constructors: LIT_ERR_CONFIG for bad params (no save_dir,
 * flush interval < 1), LIT_ERR_NOMEM. Nothing touches the disk until the
 * first write; from then on an unwritable directory or file is LIT_ERR_IO
 * with a message naming the path (the Trainer then drops that logger).
 *
 * The loggers are not thread-safe: drive each from one thread (rank 0).
 */
#ifndef LITC_LOGGERS_H
#define LITC_LOGGERS_H

#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_LOGGER_VERSION 1

typedef struct lit_logger lit_logger;

/* One hyperparameter as loggers see it (the module's lit_hparam). */
typedef struct {
    const char *name;
    int kind;        /* 0 int, 1 double, 2 string (lit_hparam_kind) */
    int64_t i;
    double d;
    const char *s;
} lit_logger_hparam;

struct lit_logger {
    int version;        /* LIT_LOGGER_VERSION */
    const char *name;   /* "CSVLogger", "TensorBoardLogger", ... */
    void *user;
    lit_status (*log_hyperparams)(lit_logger *lg, int n, const lit_logger_hparam *hp);
    /* names[i] = values[i] at `step` (names owned by the caller, valid during the call). */
    lit_status (*log_metrics)(lit_logger *lg, int n, const char *const *names, const double *values, int64_t step);
    lit_status (*save)(lit_logger *lg);                          /* (optional) flush */
    lit_status (*finalize)(lit_logger *lg, const char *status);  /* (optional) */
    /* The version number (v_num on the progress bar) and the run's log
     * directory; may create the directory on first use. */
    int64_t (*version_number)(lit_logger *lg);
    const char *(*log_dir)(lit_logger *lg);
    void (*free)(lit_logger *lg);                                /* (optional) */
};

/* ---------------------------------------------------------------- versions
 *
 * Every logger below writes into <save_dir>/<name>/<version>/ where
 *   - name "" puts the versions directly in save_dir (Lightning's name=None);
 *   - version is "version_<N>": N = `version` when >= 0, else the next free
 *     number (1 + the largest N among the existing directories
 *     <save_dir>/<name>/version_<digits>[_anything], 0 when there is none or
 *     the folder is missing: Lightning's _get_next_version); or
 *   - `version_name` when not NULL, used as the directory name as it is
 *     (Lightning's string version; the logger's version_number is then -1).
 * The number is decided the first time it is asked for (version_number,
 * log_dir or the first write) and kept; the directory is made (with its
 * parents) at the first write. */

/* Lightning's _get_next_version on `dir` (the folder holding version_N). */
lit_status lit_logger_next_version(const char *dir, int64_t *version);

/* ---------------------------------------------------------------- CSV
 *
 * Lightning's CSVLogger. <log_dir>/metrics.csv: one row per log_metrics call
 * with the columns of every key seen so far plus "step", sorted by name
 * (byte order; Lightning's sorted(keys)), "" where a row has no value.
 * Rows are kept in memory and written at save(), at finalize() and when
 * (step + 1) % flush_logs_every_n_steps == 0; a save that brings new keys
 * rewrites the file with the wider header (as Lightning does). The file is
 * Python's csv.DictWriter output: "\r\n" line ends, fields quoted only
 * when they hold ',', '"', '\r' or '\n'. Values are Python's str(float)
 * ("0.25", "1e-05", "nan", "inf", "-inf"); "step" and a metric named
 * exactly "epoch" holding an integer are written as integers, as Lightning
 * passes them as ints.
 *
 * <log_dir>/hparams.yaml is rewritten at every log_hyperparams with all the
 * hyperparameters so far (Lightning's save_hparams_to_yaml: PyYAML's
 * yaml.dump — keys sorted, "lr: 0.001", "hidden: 32", "name: mlp", strings
 * quoted only where YAML needs it; "{}" when there are none).
 *
 * A run that reuses an existing non-empty directory (fixed version) logs a
 * warning and replaces its metrics.csv, as Lightning. */
typedef struct {
    const char *save_dir;             /* required */
    const char *name;                 /* default "lightning_logs"; "" = none */
    int64_t version;                  /* default -1 = next free */
    const char *version_name;         /* default NULL; overrides version */
    const char *prefix;               /* default "": keys become "<prefix>-<key>" */
    int64_t flush_logs_every_n_steps; /* default 100; >= 1 */
} lit_csv_logger_params;

lit_csv_logger_params lit_csv_logger_default_params(void);
/* Fill *lg (name "CSVLogger"). p is copied. */
lit_status lit_csv_logger(lit_logger *lg, const lit_csv_logger_params *p);

/* ---------------------------------------------------------------- TensorBoard
 *
 * Lightning's TensorBoardLogger writing what torch's SummaryWriter writes:
 * <log_dir>[/<sub_dir>]/events.out.tfevents.<%010d unix time>.<hostname>.
 * <pid>.<n><filename_suffix> (n counts the files this process opened, from
 * 0), a TFRecord file (per record: uint64 length, masked CRC-32C of those 8
 * bytes, the bytes of an Event protobuf, masked CRC-32C of them; little
 * endian) whose first Event carries file_version "brain.Event:2" (and
 * source_metadata writer "litc", where tensorboard's writer names itself).
 * Apart from that name and the order of the hparams map, the file is byte
 * for byte what Lightning 2.6 + torch's SummaryWriter write for the same
 * calls (checked while writing this).
 *
 *   - log_metrics: one Event per metric {wall_time, step, summary {value {tag,
 *     simple_value (float32)}}} (add_scalar);
 *   - log_hyperparams: as Lightning with default_hp_metric: the scalar
 *     "hp_metric" = -1, then the hparams plugin's three summaries
 *     (torch.utils.tensorboard.summary.hparams: "_hparams_/experiment" with
 *     an HParamInfo per hyperparameter (DATA_TYPE_FLOAT64 for numbers,
 *     DATA_TYPE_STRING for strings) and the metric "hp_metric";
 *     "_hparams_/session_start_info" with the values;
 *     "_hparams_/session_end_info" with STATUS_SUCCESS) so TensorBoard's
 *     HPARAMS tab shows the run. Without default_hp_metric no hparams
 *     summaries are written (Lightning's behaviour: the plugin needs a
 *     metric). The hyperparameters also go to <log_dir>/hparams.yaml (same
 *     format as the CSVLogger's) at the first save() after they are known,
 *     if that file does not exist yet (Lightning's TensorBoardLogger.save);
 *   - save flushes the file; finalize closes it (and saves on "success").
 * The file is also flushed every `max_queue` events and `flush_secs`
 * seconds (SummaryWriter's defaults 10 and 120). */
typedef struct {
    const char *save_dir;        /* required */
    const char *name;            /* default "lightning_logs"; "" = none */
    int64_t version;             /* default -1 = next free */
    const char *version_name;    /* default NULL; overrides version */
    const char *sub_dir;         /* default NULL: events in log_dir/<sub_dir> */
    const char *prefix;          /* default "": tags become "<prefix>-<key>" */
    int default_hp_metric;       /* default 1 */
    const char *filename_suffix; /* default "" */
    int max_queue;               /* default 10 */
    double flush_secs;           /* default 120 */
    /* Wall clock in Unix seconds for wall_time and the file name; NULL
     * (default) = the real time. For tests. */
    double (*wall_clock)(void);
} lit_tensorboard_logger_params;

lit_tensorboard_logger_params lit_tensorboard_logger_default_params(void);
/* Fill *lg (name "TensorBoardLogger"). p is copied. */
lit_status lit_tensorboard_logger(lit_logger *lg, const lit_tensorboard_logger_params *p);
/* SummaryWriter.add_text: a text-plugin summary with tag "<tag>/text_summary"
 * holding `text` (a DT_STRING tensor of shape [1]) at `step`. lg must come
 * from lit_tensorboard_logger (LIT_ERR_INVALID_ARG otherwise). */
lit_status lit_tensorboard_logger_add_text(lit_logger *lg, const char *tag, const char *text, int64_t step);
/* The events file being written, NULL before the first write. */
const char *lit_tensorboard_logger_file(lit_logger *lg);

/* ---------------------------------------------------------------- JSON lines
 *
 * A litc format for scripts (jq, pandas.read_json(lines=True)):
 * <log_dir>/<file_name>, one JSON object per line, "\n"-terminated, flushed
 * after every line, with "type" first:
 *
 *   {"type": "hparams", "wall_time": 1700000000.25, "hparams": {"hidden": 32, "lr": 0.001, "opt": "adam"}}
 *   {"type": "metrics", "wall_time": 1700000001.5, "step": 49, "metrics": {"train/loss": 0.6931471805599453}}
 *   {"type": "metrics", "wall_time": 1700000002.0, "step": 99, "epoch": 0, "metrics": {"val/acc": 0.5}}
 *   {"type": "finalize", "wall_time": 1700000003.0, "status": "success"}
 *
 * hparams keep the given order and type (int -> JSON integer, double ->
 * number with a '.' or an exponent, string -> string); each log_hyperparams
 * call is one line. Metric values are Python's repr of the double (shortest
 * round trip); NaN and infinities, which JSON cannot hold, are the strings
 * "nan", "inf", "-inf" (what Python's float() reads back). A metric named
 * "epoch" is moved out of "metrics" into the top-level "epoch" (an integer
 * when it is one). Keys are prefixed as for the other loggers. Metrics keep
 * the caller's order; a name repeated in one call keeps its last value. */
typedef struct {
    const char *save_dir;     /* required */
    const char *name;         /* default "lightning_logs"; "" = none */
    int64_t version;          /* default -1 = next free */
    const char *version_name; /* default NULL; overrides version */
    const char *prefix;       /* default "" */
    const char *file_name;    /* default "metrics.jsonl" */
    double (*wall_clock)(void); /* NULL (default) = the real time */
} lit_jsonl_logger_params;

lit_jsonl_logger_params lit_jsonl_logger_default_params(void);
/* Fill *lg (name "JSONLLogger"). p is copied. */
lit_status lit_jsonl_logger(lit_logger *lg, const lit_jsonl_logger_params *p);

#ifdef __cplusplus
}
#endif
#endif
