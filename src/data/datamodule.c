/* DataModule helpers. */
#include "litc/data.h"

const char *lit_stage_name(lit_stage s) {
    switch (s) {
    case LIT_STAGE_FIT: return "fit";
    case LIT_STAGE_VALIDATE: return "validate";
    case LIT_STAGE_TEST: return "test";
    case LIT_STAGE_PREDICT: return "predict";
    }
    return "unknown";
}
