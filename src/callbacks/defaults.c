/*
 * src/callbacks/defaults.c — Lightning's default callbacks (progress bar,
 * model summary, ModelCheckpoint, each with its default params) installed
 * as the Trainer's factory table when the library is loaded. The Trainer
 * sits below the callbacks and never names one (callback.h,
 * lit_trainer_set_default_callbacks).
 *
 * A static link pulls this file in only when something references it, so
 * liblitc's link line names its installer (-Wl,-u,lit__install_default_callbacks:
 * the CMake target's interface and litc.pc carry it).
 */
#include "litc/callbacks.h"

static lit_status make_progress_bar(lit_callback *out) { return lit_progress_bar_callback(out, NULL); }
static lit_status make_model_summary(lit_callback *out) { return lit_model_summary_callback(out, NULL); }
/* Lightning's default ModelCheckpoint: the last epoch, top 1. */
static lit_status make_model_checkpoint(lit_callback *out) { return lit_model_checkpoint_callback(out, NULL); }

const lit_default_callbacks lit_lightning_default_callbacks = {
    .version = LIT_DEFAULT_CALLBACKS_VERSION,
    .progress_bar = {make_progress_bar},
    .model_summary = {make_model_summary},
    .model_checkpoint = {make_model_checkpoint},
};

void lit__install_default_callbacks(void) __attribute__((constructor));
void lit__install_default_callbacks(void) { lit_trainer_set_default_callbacks(&lit_lightning_default_callbacks); }
