/*
 * litc/callbacks.h — the built-in callbacks (Lightning's
 * lightning.pytorch.callbacks): the progress bar and the model summary,
 * which the Trainer adds by itself, and ModelCheckpoint, EarlyStopping and
 * OnExceptionCheckpoint, which you add; monitors, weight averaging,
 * finetuning and the tuner. It includes one header per family:
 *
 *     default-callbacks.h  progress bar, model summary, the Trainer's defaults table
 *     model-checkpoint.h   ModelCheckpoint, OnExceptionCheckpoint
 *     early-stopping.h     EarlyStopping
 *     monitors.h           LearningRateMonitor, Timer, ThroughputMonitor,
 *                          DeviceStatsMonitor, GradientAccumulationScheduler
 *     weight-averaging.h   ExponentialMovingAverage, StochasticWeightAveraging
 *     finetuning.h         BackboneFinetuning
 *     tuner.h              lit_lr_find, lit_batch_size_find
 *
 * Conventions of every built-in callback: each constructor fills a
 * lit_callback value (callback.h) that you pass to lit_trainer_add_callback,
 * which copies it; its state is freed by the callback's `free` slot when the
 * Trainer is freed. The accessors take your copy of the lit_callback value
 * (it shares its state with the Trainer's copy) and are valid until the
 * Trainer that holds the callback is freed. A constructed callback that is
 * never added is freed with cb.free(&cb).
 */
#ifndef LITC_CALLBACKS_H
#define LITC_CALLBACKS_H

#include "default-callbacks.h"
#include "model-checkpoint.h"
#include "early-stopping.h"
#include "monitors.h"
#include "weight-averaging.h"
#include "finetuning.h"
#include "tuner.h"

#endif
