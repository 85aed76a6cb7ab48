/* The default model of `rnnrt generate`, built into the tool: the bytes of
 * models/charlstm.safetensors (tools/embed_file.py writes the C file that includes them). */
#ifndef RNNRT_TOOLS_DEFAULT_MODEL_H
#define RNNRT_TOOLS_DEFAULT_MODEL_H

#include <stddef.h>

const unsigned char *rnnrt_default_model(size_t *size);

#endif
