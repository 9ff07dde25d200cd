/*
 * litc/litc.h — the umbrella header: include this to get all of litc.
 */
#ifndef LITC_LITC_H
#define LITC_LITC_H

#include "core.h"
#include "tensor.h"
#include "autograd.h"
#include "ops.h"
#include "backend.h"
#include "nn.h"
#include "optim.h"
#include "sched.h"
#include "data.h"
#include "progress.h"
#include "summary.h"
#include "train.h"
#include "callbacks.h"
#include "report.h"
#include "safetensors.h"
#include "checkpoint.h"
#include "metrics.h"
#include "loggers.h"
#include "config.h"
#include "config-trainer.h"

#endif
