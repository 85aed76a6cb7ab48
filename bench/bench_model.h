/* Models and inputs for the benchmarks and the instruction-count driver, made in memory.
 *
 * A benchmark shape becomes a one-layer, unidirectional model with biases: a safetensors
 * image in PyTorch's state_dict layout (weight_ih_l0 [G*H][I], weight_hh_l0 [G*H][H],
 * bias_ih_l0, bias_hh_l0), filled from a seeded generator with PyTorch's initial range
 * U(-1/sqrt(H), 1/sqrt(H)), loaded through the public rnnrt_model_load_memory(). So the
 * benchmarks measure exactly what a user's file would load to, and need no files.
 */
#ifndef RNNRT_BENCH_MODEL_H
#define RNNRT_BENCH_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <rnnrt.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Gate blocks of a cell named "lstm" (4) or "gru" (3); 0 for anything else. */
int rnnrt_bench_gates(const char *cell);

/* Fills x[0..n) with uniform values in [-scale, scale) from a 64-bit seed (splitmix64):
 * the same seed gives the same bytes on every machine and compiler. */
void rnnrt_bench_fill(float *x, size_t n, uint64_t seed, float scale);

/* A model of cell "lstm" or "gru" with hidden size H and input size in_size, weights
 * from seed.
 * Returns RNNRT_OK and the model in *out, or the status of the failed step (message in
 * rnnrt_last_error()). */
rnnrt_status rnnrt_bench_make_model(const char *cell, int H, int in_size, uint64_t seed,
                                    rnnrt_model **out);
/* The same model loaded with options (rnnrt_model_load_memory_ex; NULL: the defaults). */
rnnrt_status rnnrt_bench_make_model_ex(const char *cell, int H, int in_size, uint64_t seed,
                                       const rnnrt_options *o, rnnrt_model **out);

/* The safetensors bytes of that model (malloc'd; NULL for a bad shape or out of memory),
 * for a benchmark that hands the model to another process (rnnrt serve). */
unsigned char *rnnrt_bench_model_bytes(const char *cell, int H, int I, uint64_t seed,
                                       size_t *size);

/* 64-byte aligned, zeroed floats (NULL on failure); free with rnnrt_bench_free(). */
float *rnnrt_bench_alloc(size_t n);
void rnnrt_bench_free(float *p);

#ifdef __cplusplus
}
#endif

#endif
