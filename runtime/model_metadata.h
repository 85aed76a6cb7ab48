/* The metadata keys that say how a stack runs: rnnrt.direction, rnnrt.clip, rnnrt.layout
 * and rnnrt.activation_functions. */
#ifndef RNNRT_MODEL_METADATA_H
#define RNNRT_MODEL_METADATA_H

#include "model.h"
#include "safetensors.h"

/* Reads rnnrt.direction, rnnrt.clip and rnnrt.layout into m (layer_reverse,
 * reverse_layers, clip, batch_major), once its layers and directions are known;
 * RNNRT_E_FORMAT naming the key for a value it cannot take. */
rnnrt_status rnnrt_model_parse_run_keys(const rnnrt_st_file *f, rnnrt_model *m);

/* Reads rnnrt.activation_functions into every unit's act and act_text (the cell's own
 * functions without it) and sets each unit's gate_path; after the weights are built and
 * rnnrt.clip is read. RNNRT_E_FORMAT naming the key, the layer and direction and the
 * function for a value it cannot take. */
rnnrt_status rnnrt_model_parse_functions(const rnnrt_st_file *f, rnnrt_model *m);

#endif
