/* IEEE binary16 and bfloat16 to float32, exactly (both are subsets of float32), and
 * float32 to bfloat16. */
#ifndef RNNRT_HALF_H
#define RNNRT_HALF_H

#include <stdint.h>

float rnnrt_f16_to_f32(uint16_t h);
float rnnrt_bf16_to_f32(uint16_t b);

/* float32 to bfloat16, rounded to nearest, ties to even; NaN stays NaN (made quiet). */
uint16_t rnnrt_f32_to_bf16(float f);

#endif
