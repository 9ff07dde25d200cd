/*
 * tests/test-default-callbacks.c — the Trainer's default callbacks come
 * from the factory table the callbacks layer installs (callback.h,
 * lit_trainer_set_default_callbacks): Lightning's table is in place when
 * the program starts, a table of the program's own replaces it, and
 * without one a run that asks for a default fails with a clear error
 * instead of silently running without it.
 */
#include "harness.h"
#include "scripted-fit.h"

static const double SCRIPT[] = { 0.5 };

/* A fit of 1 epoch in `root` with every default switched on. */
static lit_trainer_params defaults_on(const char *root) {
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.enable_progress_bar = 1;
    p.enable_model_summary = 1;
    p.enable_checkpointing = 1;
    p.default_root_dir = root;
    return p;
}

/* A bar that draws into /dev/null (the test's output stays readable). */
static FILE *devnull;
static lit_status quiet_bar(lit_callback *out) {
    lit_progress_bar_params p = lit_progress_bar_default_params();
    p.out = devnull;
    p.is_tty = 0;
    return lit_progress_bar_callback(out, &p);
}

static int n_bar, n_summary, n_checkpoint;
static lit_status count_bar(lit_callback *out) { n_bar++; return quiet_bar(out); }
static lit_status count_summary(lit_callback *out) {
    n_summary++;
    return lit_lightning_default_callbacks.model_summary.make(out);
}
static lit_status count_checkpoint(lit_callback *out) {
    n_checkpoint++;
    return lit_lightning_default_callbacks.model_checkpoint.make(out);
}

/* Runs first: nothing has called lit_trainer_set_default_callbacks yet. */
TEST(lightning_defaults_are_installed_at_load) {
    char *root = make_tmp_dir("defaults");
    run_t r;
    run_init(&r, SCRIPT, 1, NULL);
    lit_trainer_params p = defaults_on(root);
    p.enable_progress_bar = 0; /* no bar in the test's output */
    CHECK_EQ_INT(run_fit(&r, &p, NULL, 0, NULL), LIT_OK);
    lit_callback *ck = lit_trainer_checkpoint_callback(r.tr);
    CHECK(ck != NULL);
    if (ck) {
        CHECK_STR_EQ(ck->name, LIT_MODEL_CHECKPOINT_NAME);
        const char *best = lit_model_checkpoint_best_path(ck); /* it saved the epoch */
        CHECK(best && best[0] && exists(best));
        CHECK_STR_CONTAINS(best, root);
    }
    run_free(&r);
    rm_rf(root);
}

TEST(the_trainer_makes_its_defaults_through_the_installed_table) {
    char *root = make_tmp_dir("defaults");
    lit_default_callbacks counting = { .version = LIT_DEFAULT_CALLBACKS_VERSION,
                                       .progress_bar = { count_bar },
                                       .model_summary = { count_summary },
                                       .model_checkpoint = { count_checkpoint } };
    CHECK_EQ_INT(lit_trainer_set_default_callbacks(&counting), LIT_OK);
    n_bar = n_summary = n_checkpoint = 0;
    run_t r;
    run_init(&r, SCRIPT, 1, NULL);
    lit_trainer_params p = defaults_on(root);
    CHECK_EQ_INT(run_fit(&r, &p, NULL, 0, NULL), LIT_OK);
    CHECK_EQ_INT(n_bar, 1);
    CHECK_EQ_INT(n_summary, 1);
    CHECK_EQ_INT(n_checkpoint, 1);
    run_free(&r);
    /* A callback the user added by that name is not doubled. */
    lit_callback mine;
    CHECK_EQ_INT(quiet_bar(&mine), LIT_OK);
    run_init(&r, SCRIPT, 1, NULL);
    CHECK_EQ_INT(run_fit(&r, &p, &mine, 1, NULL), LIT_OK);
    CHECK_EQ_INT(n_bar, 1);
    CHECK_EQ_INT(n_checkpoint, 2);
    run_free(&r);
    CHECK_EQ_INT(lit_trainer_set_default_callbacks(&lit_lightning_default_callbacks), LIT_OK);
    rm_rf(root);
}

TEST(without_a_table_a_requested_default_is_a_config_error) {
    char *root = make_tmp_dir("defaults");
    CHECK_EQ_INT(lit_trainer_set_default_callbacks(NULL), LIT_OK);
    run_t r;
    run_init(&r, SCRIPT, 1, NULL);
    lit_trainer_params p = defaults_on(root);
    CHECK_EQ_INT(run_fit(&r, &p, NULL, 0, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "Trainer(enable_progress_bar=1) adds a default TQDMProgressBar");
    CHECK_STR_CONTAINS(lit_last_error(), "no default callbacks are installed");
    run_free(&r);
    /* With the defaults switched off nothing is missing. */
    run_init(&r, SCRIPT, 1, NULL);
    p = quiet_trainer_params();
    p.max_epochs = 1;
    p.default_root_dir = root;
    CHECK_EQ_INT(run_fit(&r, &p, NULL, 0, NULL), LIT_OK);
    run_free(&r);
    CHECK_EQ_INT(lit_trainer_set_default_callbacks(&lit_lightning_default_callbacks), LIT_OK);
    rm_rf(root);
}

TEST(a_table_of_another_version_is_refused_and_changes_nothing) {
    char *root = make_tmp_dir("defaults");
    lit_default_callbacks future = { .version = LIT_DEFAULT_CALLBACKS_VERSION + 1 };
    CHECK_EQ_INT(lit_trainer_set_default_callbacks(&future), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "LIT_DEFAULT_CALLBACKS_VERSION");
    run_t r;
    run_init(&r, SCRIPT, 1, NULL);
    lit_trainer_params p = defaults_on(root);
    p.enable_progress_bar = 0;
    CHECK_EQ_INT(run_fit(&r, &p, NULL, 0, NULL), LIT_OK);
    CHECK(lit_trainer_checkpoint_callback(r.tr) != NULL);
    run_free(&r);
    rm_rf(root);
}

int main(void) {
    lit_log_set_level(LIT_LOG_ERROR);
    devnull = fopen("/dev/null", "w");
    CHECK(devnull != NULL);
    RUN(lightning_defaults_are_installed_at_load);
    RUN(the_trainer_makes_its_defaults_through_the_installed_table);
    RUN(without_a_table_a_requested_default_is_a_config_error);
    RUN(a_table_of_another_version_is_refused_and_changes_nothing);
    fclose(devnull);
    return harness_summary();
}
