/* IEEE binary16 and bfloat16 to float32, exactly (both are subsets of float32). */
#ifndef RNNRT_HALF_H
#define RNNRT_HALF_H

#include <stdint.h>

float rnnrt_f16_to_f32(uint16_t h);
float rnnrt_bf16_to_f32(uint16_t b);

#endif
