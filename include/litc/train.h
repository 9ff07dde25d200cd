/*
 * litc/train.h — the Trainer, the module interface (LightningModule),
 * callbacks, and logging from inside steps (self.log). It includes:
 *
 *     module.h    the LightningModule vtable, configure_optimizers' config,
 *                 the optimizer closure, hyperparameters, self.log
 *     callback.h  the Callback struct, the Trainer's default-callback table
 *     trainer.h   Trainer params, fit/validate/test/predict, accessors,
 *                 metrics, seed_everything (with the usage example)
 *
 * Include this (or litc.h) to get all three.
 */
#ifndef LITC_TRAIN_H
#define LITC_TRAIN_H

#include "module.h"
#include "callback.h"
#include "trainer.h"

#endif
