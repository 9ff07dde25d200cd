/*
 * src/loggers/tensorboard-logger.c — Lightning's TensorBoardLogger writing
 * the events file torch.utils.tensorboard.SummaryWriter would: TFRecord
 * framing around hand-encoded Event protobufs (tensorboard/compat/proto:
 * event.proto, summary.proto, tensor.proto; plugins/hparams: plugin_data.
 * proto, api.proto). Fields are written in field-number order and proto3
 * defaults are left out, as protobuf's serializer does, except inside a
 * oneof (simple_value, Value.number_value/string_value), which is always
 * written because a set oneof member is present even at its default.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loggers/loggers-impl.h"

static const char WHO[] = "TensorBoardLogger";

/* torch's _global_uid: the n-th events file of this process. */
static int g_file_uid;

typedef struct {
    lit__logdir dir;
    char *prefix, *suffix;
    int default_hp_metric;
    int max_queue;
    double flush_secs;
    double (*clock)(void);
    FILE *f;
    char *path;
    int opened_once; /* an events file was made (experiment exists) */
    int pending;     /* events since the last flush */
    double last_flush;
    lit__hparams hparams;
    int have_hparams;
} tb_logger;

/* ---------------------------------------------------------------- protobuf */

static void pb_varint(lit__buf *b, uint64_t v) {
    unsigned char o[10];
    int n = 0;
    do {
        o[n] = (unsigned char)(v & 0x7F);
        v >>= 7;
        if (v) o[n] |= 0x80;
        n++;
    } while (v);
    lit__buf_put(b, o, (size_t)n);
}

static void pb_key(lit__buf *b, int field, int wire) { pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire); }

static void pb_bytes(lit__buf *b, int field, const void *p, size_t n) {
    pb_key(b, field, 2);
    pb_varint(b, n);
    lit__buf_put(b, p, n);
}

static void pb_string(lit__buf *b, int field, const char *s) { pb_bytes(b, field, s, strlen(s)); }
static void pb_msg(lit__buf *b, int field, const lit__buf *m) { pb_bytes(b, field, m->data, m->len); }

static void pb_double(lit__buf *b, int field, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    unsigned char o[8];
    for (int i = 0; i < 8; i++) o[i] = (unsigned char)(u >> (8 * i));
    pb_key(b, field, 1);
    lit__buf_put(b, o, 8);
}

static void pb_float(lit__buf *b, int field, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    unsigned char o[4];
    for (int i = 0; i < 4; i++) o[i] = (unsigned char)(u >> (8 * i));
    pb_key(b, field, 5);
    lit__buf_put(b, o, 4);
}

/* ---------------------------------------------------------------- records */

static uint32_t masked_crc(const void *p, size_t n) {
    uint32_t c = lit_crc32c(0, p, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static void le32(unsigned char *o, uint32_t v) {
    for (int i = 0; i < 4; i++) o[i] = (unsigned char)(v >> (8 * i));
}

static lit_status tb_flush(tb_logger *t) {
    if (!t->f) return LIT_OK;
    if (fflush(t->f) != 0)
        return lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", WHO, t->path, strerror(errno));
    t->pending = 0;
    t->last_flush = lit_time_now();
    return LIT_OK;
}

static double tb_now(const tb_logger *t) { return t->clock ? t->clock() : lit__wall_time(); }

static lit_status write_record(tb_logger *t, const lit__buf *ev) {
    if (ev->failed) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    unsigned char head[12];
    uint64_t len = ev->len;
    for (int i = 0; i < 8; i++) head[i] = (unsigned char)(len >> (8 * i));
    le32(head + 8, masked_crc(head, 8));
    unsigned char tail[4];
    le32(tail, masked_crc(ev->data, ev->len));
    if (fwrite(head, 1, 12, t->f) != 12 || fwrite(ev->data, 1, ev->len, t->f) != ev->len || fwrite(tail, 1, 4, t->f) != 4)
        return lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", WHO, t->path, strerror(errno));
    t->pending++;
    if (t->pending >= t->max_queue || lit_time_now() - t->last_flush >= t->flush_secs) return tb_flush(t);
    return LIT_OK;
}

/* Event{wall_time, step (left out when 0, as proto3 does), <body>}. */
static lit_status write_event(tb_logger *t, int64_t step, int field, const lit__buf *body, const char *file_version) {
    lit__buf ev = { 0 };
    pb_double(&ev, 1, tb_now(t));
    if (step != 0) {
        pb_key(&ev, 2, 0);
        pb_varint(&ev, (uint64_t)step); /* int64: negative steps take 10 bytes, as protobuf's */
    }
    if (file_version) pb_string(&ev, 3, file_version);
    if (body) pb_msg(&ev, field, body);
    if (file_version) {
        /* source_metadata (10) {writer (1)}: tensorboard's own writer puts
         * its module name here; we name ours */
        lit__buf sm = { 0 };
        pb_string(&sm, 1, "litc");
        pb_msg(&ev, 10, &sm);
        lit__buf_free(&sm);
    }
    lit_status st = write_record(t, &ev);
    lit__buf_free(&ev);
    return st;
}

/* SummaryWriter's creation: log_dir made, the file opened and its first
 * record the file version (EventFileWriter.__init__). */
static lit_status open_experiment(tb_logger *t) {
    if (t->f) return LIT_OK;
    LIT_TRY(lit__logdir_ensure(&t->dir, WHO));
    char host[256] = "localhost";
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = 0;
    char name[512];
    snprintf(name, sizeof name, "events.out.tfevents.%010lld.%s.%lld.%d%s", (long long)tb_now(t), host,
             (long long)getpid(), g_file_uid++, t->suffix);
    free(t->path);
    t->path = lit__path_join(t->dir.write_dir, name);
    if (!t->path) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    t->f = fopen(t->path, "wb");
    if (!t->f) return lit_set_error(LIT_ERR_IO, "%s: cannot create %s: %s", WHO, t->path, strerror(errno));
    t->opened_once = 1;
    t->pending = 0;
    t->last_flush = lit_time_now();
    LIT_TRY(write_event(t, 0, 0, NULL, "brain.Event:2"));
    return tb_flush(t);
}

/* Summary{value{tag, simple_value}} (torch's scalar(), new_style=False). */
static lit_status add_scalar(tb_logger *t, const char *tag, double v, int64_t step) {
    lit__buf val = { 0 }, sum = { 0 };
    pb_string(&val, 1, tag);
    pb_float(&val, 2, (float)v);
    pb_msg(&sum, 1, &val);
    lit_status st = write_event(t, step, 5, &sum, NULL);
    lit__buf_free(&val);
    lit__buf_free(&sum);
    return st;
}

/* Summary{value{tag, metadata{plugin_data{plugin_name, content}}[, tensor]}}. */
static lit_status add_plugin_summary(tb_logger *t, const char *tag, const char *plugin, const lit__buf *content,
                                     const lit__buf *tensor, int64_t step) {
    lit__buf pd = { 0 }, md = { 0 }, val = { 0 }, sum = { 0 };
    pb_string(&pd, 1, plugin);
    if (content && content->len) pb_msg(&pd, 2, content);
    pb_msg(&md, 1, &pd);
    pb_string(&val, 1, tag);
    if (tensor) pb_msg(&val, 8, tensor);
    pb_msg(&val, 9, &md);
    pb_msg(&sum, 1, &val);
    lit_status st = write_event(t, step, 5, &sum, NULL);
    lit__buf_free(&pd);
    lit__buf_free(&md);
    lit__buf_free(&val);
    lit__buf_free(&sum);
    return st;
}

/* ---------------------------------------------------------------- vtable */

static lit_status tb_log_metrics(lit_logger *lg, int n, const char *const *names, const double *values, int64_t step) {
    tb_logger *t = lg->user;
    LIT_TRY(open_experiment(t));
    for (int i = 0; i < n; i++) {
        char *tag = lit__prefixed_key(t->prefix, names[i]);
        if (!tag) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
        lit_status st = add_scalar(t, tag, values[i], step);
        free(tag);
        LIT_TRY(st);
    }
    return LIT_OK;
}

/* torch.utils.tensorboard.summary.hparams(params, {"hp_metric": -1}). */
static lit_status write_hparams_plugin(tb_logger *t, int n, const lit_logger_hparam *hp) {
    lit__buf exp = { 0 }, ssi = { 0 }, content = { 0 };
    /* Experiment{hparam_infos (4): HParamInfo{name 1, type 4}, metric_infos (5)} */
    for (int i = 0; i < n; i++) {
        lit__buf info = { 0 };
        pb_string(&info, 1, hp[i].name ? hp[i].name : "");
        pb_key(&info, 4, 0);
        pb_varint(&info, hp[i].kind == 2 ? 1 /* DATA_TYPE_STRING */ : 3 /* DATA_TYPE_FLOAT64 */);
        pb_msg(&exp, 4, &info);
        lit__buf_free(&info);
    }
    {
        lit__buf mname = { 0 }, minfo = { 0 };
        pb_string(&mname, 2, "hp_metric"); /* MetricName.tag */
        pb_msg(&minfo, 1, &mname);
        pb_msg(&exp, 5, &minfo);
        lit__buf_free(&mname);
        lit__buf_free(&minfo);
    }
    /* SessionStartInfo{hparams (1): map<string, google.protobuf.Value>} */
    for (int i = 0; i < n; i++) {
        lit__buf v = { 0 }, entry = { 0 };
        if (hp[i].kind == 2) pb_string(&v, 3, hp[i].s ? hp[i].s : "");
        else pb_double(&v, 2, hp[i].kind == 0 ? (double)hp[i].i : hp[i].d);
        pb_string(&entry, 1, hp[i].name ? hp[i].name : "");
        pb_msg(&entry, 2, &v);
        pb_msg(&ssi, 1, &entry);
        lit__buf_free(&v);
        lit__buf_free(&entry);
    }
    /* HParamsPluginData{version 0 (left out), experiment 2 | session_start_info 3 | session_end_info 4} */
    pb_msg(&content, 2, &exp);
    lit_status st = add_plugin_summary(t, "_hparams_/experiment", "hparams", &content, NULL, 0);
    if (st >= 0) {
        content.len = 0;
        pb_msg(&content, 3, &ssi);
        st = add_plugin_summary(t, "_hparams_/session_start_info", "hparams", &content, NULL, 0);
    }
    if (st >= 0) {
        lit__buf sei = { 0 };
        pb_key(&sei, 1, 0);
        pb_varint(&sei, 1); /* STATUS_SUCCESS */
        content.len = 0;
        pb_msg(&content, 4, &sei);
        lit__buf_free(&sei);
        st = add_plugin_summary(t, "_hparams_/session_end_info", "hparams", &content, NULL, 0);
    }
    if (st >= 0 && (exp.failed || ssi.failed || content.failed)) st = lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    lit__buf_free(&exp);
    lit__buf_free(&ssi);
    lit__buf_free(&content);
    return st;
}

static lit_status tb_log_hyperparams(lit_logger *lg, int n, const lit_logger_hparam *hp) {
    tb_logger *t = lg->user;
    LIT_TRY(lit__hparams_update(&t->hparams, n, hp));
    t->have_hparams = 1;
    if (!t->default_hp_metric) return LIT_OK; /* Lightning: no metrics, no hparams summaries */
    LIT_TRY(open_experiment(t));
    /* self.log_metrics({"hp_metric": -1}, step=None) — step None is left out */
    char *tag = lit__prefixed_key(t->prefix, "hp_metric");
    if (!tag) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    lit_status st = add_scalar(t, tag, -1.0, 0);
    free(tag);
    LIT_TRY(st);
    return write_hparams_plugin(t, n, hp);
}

static lit_status tb_save(lit_logger *lg) {
    tb_logger *t = lg->user;
    /* fabric's save is experiment.flush(): the experiment comes into being */
    if (!t->opened_once) LIT_TRY(open_experiment(t));
    LIT_TRY(tb_flush(t));
    /* pytorch's save: hparams.yaml once, if the log dir exists */
    LIT_TRY(lit__logdir_resolve(&t->dir));
    struct stat sb;
    if (stat(t->dir.log_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) return LIT_OK;
    char *hp = lit__path_join(t->dir.log_dir, "hparams.yaml");
    if (!hp) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    int exists = stat(hp, &sb) == 0 && S_ISREG(sb.st_mode);
    free(hp);
    if (exists) return LIT_OK;
    return lit__save_hparams_yaml(t->dir.log_dir, &t->hparams, WHO);
}

static lit_status tb_close(tb_logger *t) {
    if (!t->f) return LIT_OK;
    int ok = fflush(t->f) == 0;
    int err = errno;
    ok = fclose(t->f) == 0 && ok;
    t->f = NULL;
    if (!ok) return lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", WHO, t->path, strerror(err ? err : EIO));
    return LIT_OK;
}

static lit_status tb_finalize(lit_logger *lg, const char *status) {
    tb_logger *t = lg->user;
    LIT_TRY(tb_close(t));
    if (status && strcmp(status, "success") == 0) {
        /* save() on a closed writer flushes nothing and writes hparams.yaml */
        if (!t->opened_once) LIT_TRY(open_experiment(t));
        LIT_TRY(tb_close(t));
        return tb_save(lg);
    }
    return LIT_OK;
}

static int64_t tb_version_number(lit_logger *lg) { return lit__logdir_version_number(&((tb_logger *)lg->user)->dir); }
static const char *tb_log_dir(lit_logger *lg) { return lit__logdir_path(&((tb_logger *)lg->user)->dir); }

static void tb_free(lit_logger *lg) {
    tb_logger *t = lg->user;
    if (!t) return;
    if (t->f) fclose(t->f);
    free(t->path);
    free(t->prefix);
    free(t->suffix);
    lit__hparams_free(&t->hparams);
    lit__logdir_free(&t->dir);
    free(t);
    lg->user = NULL;
}

lit_status lit_tensorboard_logger_add_text(lit_logger *lg, const char *tag, const char *text, int64_t step) {
    if (!lg || lg->free != tb_free || !lg->user || !tag || !text)
        return lit_set_error(LIT_ERR_INVALID_ARG, "lit_tensorboard_logger_add_text: pass a TensorBoardLogger, a tag and a text");
    tb_logger *t = lg->user;
    LIT_TRY(open_experiment(t));
    /* torch's text(): TensorProto{dtype DT_STRING (7), tensor_shape{dim{size 1}}, string_val} */
    lit__buf dim = { 0 }, shape = { 0 }, tensor = { 0 };
    pb_key(&dim, 1, 0);
    pb_varint(&dim, 1);
    pb_msg(&shape, 2, &dim);
    pb_key(&tensor, 1, 0);
    pb_varint(&tensor, 7);
    pb_msg(&tensor, 2, &shape);
    pb_string(&tensor, 8, text);
    size_t nt = strlen(tag);
    char *full = malloc(nt + sizeof "/text_summary");
    lit_status st;
    if (!full || tensor.failed) {
        st = lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    } else {
        memcpy(full, tag, nt);
        memcpy(full + nt, "/text_summary", sizeof "/text_summary");
        /* TextPluginData(version=0) serializes to nothing: no content */
        st = add_plugin_summary(t, full, "text", NULL, &tensor, step);
    }
    free(full);
    lit__buf_free(&dim);
    lit__buf_free(&shape);
    lit__buf_free(&tensor);
    return st;
}

const char *lit_tensorboard_logger_file(lit_logger *lg) {
    if (!lg || lg->free != tb_free || !lg->user) return NULL;
    return ((tb_logger *)lg->user)->path;
}

lit_tensorboard_logger_params lit_tensorboard_logger_default_params(void) {
    return (lit_tensorboard_logger_params){
        .save_dir = NULL,
        .name = "lightning_logs",
        .version = -1,
        .version_name = NULL,
        .sub_dir = NULL,
        .prefix = "",
        .default_hp_metric = 1,
        .filename_suffix = "",
        .max_queue = 10,
        .flush_secs = 120,
        .wall_clock = NULL,
    };
}

lit_status lit_tensorboard_logger(lit_logger *lg, const lit_tensorboard_logger_params *p) {
    if (!lg || !p) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_tensorboard_logger: lg and params are required");
    memset(lg, 0, sizeof *lg);
    if (p->max_queue < 1) return lit_set_error(LIT_ERR_CONFIG, "%s: max_queue is %d; pass >= 1", WHO, p->max_queue);
    if (!(p->flush_secs >= 0)) return lit_set_error(LIT_ERR_CONFIG, "%s: flush_secs is %g; pass >= 0", WHO, p->flush_secs);
    if (p->filename_suffix && strchr(p->filename_suffix, '/'))
        return lit_set_error(LIT_ERR_CONFIG, "%s: filename_suffix \"%s\" holds a '/'", WHO, p->filename_suffix);
    tb_logger *t = calloc(1, sizeof *t);
    if (!t) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    lit_status st = lit__logdir_init(&t->dir, WHO, p->save_dir, p->name, p->version, p->version_name, p->sub_dir);
    if (st < 0) {
        free(t);
        return st;
    }
    t->prefix = lit__strdup(p->prefix ? p->prefix : "");
    t->suffix = lit__strdup(p->filename_suffix ? p->filename_suffix : "");
    if (!t->prefix || !t->suffix) {
        free(t->prefix);
        free(t->suffix);
        lit__logdir_free(&t->dir);
        free(t);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    }
    t->default_hp_metric = p->default_hp_metric;
    t->max_queue = p->max_queue;
    t->flush_secs = p->flush_secs;
    t->clock = p->wall_clock;
    lg->version = LIT_LOGGER_VERSION;
    lg->name = "TensorBoardLogger";
    lg->user = t;
    lg->log_hyperparams = tb_log_hyperparams;
    lg->log_metrics = tb_log_metrics;
    lg->save = tb_save;
    lg->finalize = tb_finalize;
    lg->version_number = tb_version_number;
    lg->log_dir = tb_log_dir;
    lg->free = tb_free;
    return LIT_OK;
}
