/* Sampling without an allocation, for the batcher's thread (runtime/batcher.c). */
#ifndef RNNRT_SAMPLING_H
#define RNNRT_SAMPLING_H

#include <stddef.h>

#include "rnnrt.h"

/* The bytes of scratch rnnrt_sample_into needs for n logits. */
size_t rnnrt_sample_scratch_size(int n);
/* rnnrt_sample, its working memory in scratch (rnnrt_sample_scratch_size(n) bytes, aligned
 * for pointers) instead of an allocation; scratch NULL: allocated, as rnnrt_sample does. */
rnnrt_status rnnrt_sample_into(const float *logits, int n, float temperature, int top_k,
                               rnnrt_rng *rng, int *token, void *scratch);

#endif
