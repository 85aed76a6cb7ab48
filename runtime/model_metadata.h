/* The metadata keys that say how a stack runs: rnnrt.direction and rnnrt.clip. */
#ifndef RNNRT_MODEL_METADATA_H
#define RNNRT_MODEL_METADATA_H

#include "model.h"
#include "safetensors.h"

/* Reads both keys into m (layer_reverse, reverse_layers, clip), once its layers and
 * directions are known; RNNRT_E_FORMAT naming the key for a value it cannot take. */
rnnrt_status rnnrt_model_parse_run_keys(const rnnrt_st_file *f, rnnrt_model *m);

#endif
